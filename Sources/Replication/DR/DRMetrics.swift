import Ops
import Timekeeping

/// The DR applier's metric cells in a `MetricsRegistry` (declared by `ServiceRuntime`): rows
/// applied and stale writes refused per table (sink = the DR cluster), batches, errors by kind,
/// DR lag seconds and messages behind the topic ends.
package final class DRMetrics {
    private let registry: MetricsRegistry
    private let cluster: String
    /// Its wall reading is what the DR lag is measured against (commit times, `as_of`).
    private let clock: any ServiceClock
    private var rows: [String: (applied: Counter, stale: Counter)] = [:]

    package init(registry: MetricsRegistry, cluster: String, clock: any ServiceClock = SystemClock()) {
        self.registry = registry
        self.cluster = cluster
        self.clock = clock
    }

    private func now() -> Double { clock.wallNow().timeIntervalSince1970 }

    func row(table: String, applied: Bool) {
        if rows[table] == nil {
            let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
            let labels: LabelValues = [.sink: cluster, .db: parts.first ?? "", .table: parts.count > 1 ? parts[1] : ""]
            guard let a = try? registry.counter(SluiceMetrics.sinkRowsApplied, labels),
                let s = try? registry.counter(SluiceMetrics.sinkStaleWrites, labels)
            else { return }
            rows[table] = (a, s)
        }
        if applied { rows[table]?.applied.increment() } else { rows[table]?.stale.increment() }
    }

    func error(_ kind: SluiceMetrics.ErrorKind) {
        (try? registry.counter(SluiceMetrics.errors, [.kind: kind.rawValue]))?.increment()
    }

    func update(_ applier: DRApplier) {
        if let w = applier.watermark {
            // Honest while the source is idle: the markers keep `as_of` current (docs/dr.md).
            let lag = max(0, now() - Double(w.asOfMilliseconds) / 1000)
            (try? registry.gauge(SluiceMetrics.drLagSeconds, [.cluster: cluster]))?.set(lag)
            (try? registry.gauge(SluiceMetrics.drWatermarkLagSeconds, [.cluster: cluster]))?.set(lag)
            (try? registry.gauge(SluiceMetrics.drWatermarkCommitTime, [.cluster: cluster]))?.set(
                w.checkpoint.commitTime)
        } else if applier.lastCommitTime > 0 {
            (try? registry.gauge(SluiceMetrics.drLagSeconds, [.cluster: cluster]))?.set(
                max(0, now() - Double(applier.lastCommitTime)))
        }
        (try? registry.gauge(SluiceMetrics.drMessagesBehind, [.cluster: cluster]))?.set(applier.messagesBehind)
    }

    /// A batch applied and its offsets stored.
    func batch() {
        (try? registry.counter(SluiceMetrics.sinkBatches, [.sink: cluster]))?.increment()
    }
}
