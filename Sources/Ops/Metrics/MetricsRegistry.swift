import Foundation

/// Why a metric could not be registered: a programming mistake in a definition, reported with the
/// metric's name instead of trapping the daemon.
package struct MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// The name is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        case invalidName
        /// The name is already registered with another type, help text, label set or buckets.
        case conflictingDefinition
        /// The label values given don't name exactly the definition's labels.
        case labelMismatch
    }

    package let code: Code
    package let metric: String
    package let message: String

    package var description: String { "metric \(metric): \(message) [\(code.rawValue)]" }
}

/// Counters, gauges and histograms with label sets, rendered in the Prometheus text format.
///
/// Thread-safe: the registry's lock guards the set of metrics and samples; each sample has its own
/// lock, so a hot path that keeps its `Counter`/`Gauge`/`Histogram` handle only takes that one.
/// Output is sorted (metrics by name, samples by their label text) so it is stable scrape to scrape.
package final class MetricsRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var collectHooks: [@Sendable () -> Void] = []

    package init() {}

    /// The counter sample of `definition` with these label values (created at 0 on first use).
    package func counter(_ definition: CounterDefinition, _ labels: LabelValues = .none) throws(MetricsError)
        -> Counter
    {
        let sample = try sample(definition, buckets: [], labels: labels) { .counter(Counter()) }
        guard case .counter(let counter) = sample else { throw Self.conflict(definition) }
        return counter
    }

    /// The gauge sample of `definition` with these label values (created at 0 on first use).
    package func gauge(_ definition: GaugeDefinition, _ labels: LabelValues = .none) throws(MetricsError) -> Gauge {
        let sample = try sample(definition, buckets: [], labels: labels) { .gauge(Gauge()) }
        guard case .gauge(let gauge) = sample else { throw Self.conflict(definition) }
        return gauge
    }

    /// The histogram sample of `definition` with these label values (created empty on first use).
    package func histogram(_ definition: HistogramDefinition, _ labels: LabelValues = .none) throws(MetricsError)
        -> Histogram
    {
        let sample = try sample(definition, buckets: definition.buckets, labels: labels) {
            .histogram(Histogram(bounds: definition.buckets))
        }
        guard case .histogram(let histogram) = sample else { throw Self.conflict(definition) }
        return histogram
    }

    /// Declares metrics up front so each is listed (HELP and TYPE) from the first scrape; those
    /// without labels also get their zero sample.
    package func declare(_ definitions: [any MetricDefinition]) throws(MetricsError) {
        for definition in definitions {
            let buckets = (definition as? HistogramDefinition)?.buckets ?? []
            lock.lock()
            defer { lock.unlock() }
            let family = try familyLocked(definition, buckets: buckets)
            if definition.labels.isEmpty, family.children[.none] == nil {
                family.children[.none] = Self.emptySample(definition.type, buckets: buckets)
            }
        }
    }

    /// Runs `hook` at the start of every `render`, e.g. to set an age gauge from a timestamp.
    package func onCollect(_ hook: @escaping @Sendable () -> Void) {
        lock.lock()
        collectHooks.append(hook)
        lock.unlock()
    }

    /// The whole registry in the Prometheus text exposition format (0.0.4).
    package func render() -> String {
        lock.lock()
        let hooks = collectHooks
        lock.unlock()
        for hook in hooks { hook() }

        lock.lock()
        let ordered = families.values.sorted { $0.name < $1.name }.map { family in
            (family, family.children.map { (Self.labelText($0.key.pairs.map { ($0.label.rawValue, $0.value) }), $0) })
        }
        lock.unlock()

        var out = ""
        for (family, children) in ordered {
            out += "# HELP \(family.name) \(PrometheusText.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for (_, child) in children.sorted(by: { $0.0 < $1.0 }) {
                Self.renderSample(name: family.name, labels: child.key, sample: child.value, into: &out)
            }
        }
        return out
    }

    // MARK: - Internals

    private enum Sample {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)
    }

    private final class Family {
        let name: String
        let help: String
        let type: MetricType
        let labels: Set<MetricLabel>
        let buckets: [Double]
        var children: [LabelValues: Sample] = [:]

        init(_ definition: any MetricDefinition, buckets: [Double]) {
            name = definition.name
            help = definition.help
            type = definition.type
            labels = Set(definition.labels)
            self.buckets = buckets
        }

        func matches(_ definition: any MetricDefinition, buckets: [Double]) -> Bool {
            help == definition.help && type == definition.type && labels == Set(definition.labels)
                && self.buckets == buckets
        }
    }

    private func sample(
        _ definition: any MetricDefinition, buckets: [Double], labels: LabelValues, make: () -> Sample
    ) throws(MetricsError) -> Sample {
        guard Set(labels.pairs.map(\.label)) == Set(definition.labels), labels.pairs.count == definition.labels.count
        else {
            let expected = definition.labels.map(\.rawValue).sorted().joined(separator: ", ")
            let given = labels.pairs.map(\.label.rawValue).joined(separator: ", ")
            throw MetricsError(
                code: .labelMismatch, metric: definition.name,
                message: "expected labels [\(expected)], given [\(given)]")
        }
        lock.lock()
        defer { lock.unlock() }
        let family = try familyLocked(definition, buckets: buckets)
        if let existing = family.children[labels] { return existing }
        let created = make()
        family.children[labels] = created
        return created
    }

    /// The family of `definition`, created when new. Call with `lock` held.
    private func familyLocked(_ definition: any MetricDefinition, buckets: [Double]) throws(MetricsError) -> Family {
        if let family = families[definition.name] {
            guard family.matches(definition, buckets: buckets) else { throw Self.conflict(definition) }
            return family
        }
        guard Self.isValidName(definition.name) else {
            throw MetricsError(
                code: .invalidName, metric: definition.name,
                message: "a metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*")
        }
        let family = Family(definition, buckets: buckets)
        families[definition.name] = family
        return family
    }

    private static func conflict(_ definition: any MetricDefinition) -> MetricsError {
        MetricsError(
            code: .conflictingDefinition, metric: definition.name,
            message: "already registered with another type, help text, label set or buckets")
    }

    private static func emptySample(_ type: MetricType, buckets: [Double]) -> Sample {
        switch type {
        case .counter: .counter(Counter())
        case .gauge: .gauge(Gauge())
        case .histogram: .histogram(Histogram(bounds: buckets))
        }
    }

    private static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == ":")
        }
    }

    private static func labelText(_ pairs: [(String, String)]) -> String {
        PrometheusText.labelBlock(pairs.map { (name: $0.0, value: $0.1) })
    }

    private static func renderSample(name: String, labels: LabelValues, sample: Sample, into out: inout String) {
        let pairs = labels.pairs.map { ($0.label.rawValue, $0.value) }
        switch sample {
        case .counter(let counter):
            out += "\(name)\(labelText(pairs)) \(counter.value)\n"
        case .gauge(let gauge):
            out += "\(name)\(labelText(pairs)) \(PrometheusText.number(gauge.value))\n"
        case .histogram(let histogram):
            let snapshot = histogram.snapshot
            let bounds = histogram.bounds.map(PrometheusText.number) + ["+Inf"]
            for (bound, count) in zip(bounds, snapshot.cumulative) {
                out += "\(name)_bucket\(labelText(pairs + [("le", bound)])) \(count)\n"
            }
            out += "\(name)_sum\(labelText(pairs)) \(PrometheusText.number(snapshot.sum))\n"
            out += "\(name)_count\(labelText(pairs)) \(snapshot.count)\n"
        }
    }
}
