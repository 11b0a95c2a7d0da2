/// The label names sluice's metrics may carry. The set is closed on purpose: a label is a
/// dimension every scrape stores forever, so nothing per account, per key or per row can become
/// one by accident; only these coarse dimensions exist.
package enum MetricLabel: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// Database (schema) name of the source table.
    case db
    /// Table name within `db`.
    case table
    /// What happened: an event, row, transaction or error kind.
    case kind
    /// A sink: `redis.<cluster>` or `kafka`.
    case sink
    /// A Redis cluster name from `[redis.*]`.
    case cluster
    /// The sluice version (`sluice_build_info` only).
    case version

    package static func < (lhs: MetricLabel, rhs: MetricLabel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The Prometheus metric types the registry produces.
package enum MetricType: String, Sendable, Equatable {
    case counter, gauge, histogram
}

/// What every metric definition says about itself: its name, its help line, its type and the
/// labels its samples carry.
package protocol MetricDefinition: Sendable {
    var name: String { get }
    var help: String { get }
    var type: MetricType { get }
    var labels: [MetricLabel] { get }
}

/// Marks a counter or a gauge definition, so the registry's `counter` takes only counters.
package protocol ScalarKind: Sendable {
    static var type: MetricType { get }
}

/// A monotonically increasing count (`_total` by convention).
package enum CounterKind: ScalarKind {
    package static var type: MetricType { .counter }
}

/// A value that goes up and down.
package enum GaugeKind: ScalarKind {
    package static var type: MetricType { .gauge }
}

/// A counter or gauge: one number per label set.
package struct ScalarDefinition<Kind: ScalarKind>: MetricDefinition, Equatable {
    package let name: String
    package let help: String
    package let labels: [MetricLabel]
    package var type: MetricType { Kind.type }

    package init(_ name: String, _ help: String, labels: [MetricLabel] = []) {
        self.name = name
        self.help = help
        self.labels = labels
    }
}

package typealias CounterDefinition = ScalarDefinition<CounterKind>
package typealias GaugeDefinition = ScalarDefinition<GaugeKind>

/// A distribution over fixed buckets (upper bounds, `+Inf` implied).
package struct HistogramDefinition: MetricDefinition, Equatable {
    package let name: String
    package let help: String
    package let labels: [MetricLabel]
    /// Finite upper bounds, strictly increasing (the initializer sorts them and drops duplicates
    /// and non-finite values).
    package let buckets: [Double]
    package var type: MetricType { .histogram }

    package init(_ name: String, _ help: String, labels: [MetricLabel] = [], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labels = labels
        self.buckets = Array(Set(buckets.filter(\.isFinite))).sorted()
    }
}

/// The values of a sample's labels. Rendered sorted by label name, so the text is stable.
package struct LabelValues: Sendable, Equatable, Hashable, ExpressibleByDictionaryLiteral {
    /// Pairs sorted by label name, one per label.
    package let pairs: [Pair]

    package struct Pair: Sendable, Equatable, Hashable {
        package let label: MetricLabel
        package let value: String
    }

    package init(_ values: [MetricLabel: String]) {
        pairs = values.map { Pair(label: $0.key, value: $0.value) }.sorted { $0.label < $1.label }
    }

    package init(dictionaryLiteral elements: (MetricLabel, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    package static let none = LabelValues([:])
}
