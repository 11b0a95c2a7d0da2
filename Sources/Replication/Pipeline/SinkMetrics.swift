import Foundation
import Ops

/// The per-sink metrics of `sluice run` (SluiceMetrics names), fed by the sink threads of
/// `SinkPipeline` and read by the metrics endpoint: rows written and refused as stale per table,
/// batches, each sink's checkpoint (file number, byte position, seconds since it last moved),
/// how long its current batch has waited, retried errors, the Kafka producer's undelivered
/// messages, and failover rewinds. `sink` labels are `redis.<cluster>` and `kafka`. Thread-safe; a sample that
/// cannot be made is skipped (a daemon must not stop replicating over a metric).
package final class SinkMetrics: @unchecked Sendable {
    private let registry: MetricsRegistry
    private let now: () -> Double
    private let lock = NSLock()
    private var counters: [CellKey: Counter] = [:]
    /// When each sink's checkpoint last moved, and where to.
    private var moved: [String: (at: Double, checkpoint: SinkCheckpoint)] = [:]

    package init(registry: MetricsRegistry, now: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.registry = registry
        self.now = now
    }

    /// One batch a sink acknowledged, with its rows by `db.table`.
    func batch(sink: String, rows byTable: [String: RedisSink.TableCounts]) {
        for (table, counts) in byTable {
            let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
            let labels: LabelValues = [.sink: sink, .db: parts.first ?? "", .table: parts.count > 1 ? parts[1] : ""]
            if counts.applied > 0 {
                counter(SluiceMetrics.sinkRowsApplied, labels)?.increment(by: UInt64(counts.applied))
            }
            if counts.stale > 0 { counter(SluiceMetrics.sinkStaleWrites, labels)?.increment(by: UInt64(counts.stale)) }
        }
        counter(SluiceMetrics.sinkBatches, [.sink: sink])?.increment()
    }

    /// The sink's stored checkpoint is now `checkpoint` (the age restarts when it moved).
    func checkpoint(sink: String, _ checkpoint: SinkCheckpoint) {
        lock.lock()
        let changed = moved[sink]?.checkpoint != checkpoint
        if changed { moved[sink] = (now(), checkpoint) }
        lock.unlock()
        guard changed else { return }
        let number = checkpoint.position.file.split(separator: ".").last.flatMap { Int($0) } ?? 0
        (try? registry.gauge(SluiceMetrics.checkpointFileNumber, [.sink: sink]))?.set(number)
        (try? registry.gauge(SluiceMetrics.checkpointPositionBytes, [.sink: sink]))?.set(checkpoint.position.offset)
        (try? registry.gauge(SluiceMetrics.checkpointAgeSeconds, [.sink: sink]))?.set(0)
    }

    /// Sets every sink's checkpoint age to the seconds since it last moved.
    func updateAges() {
        lock.lock()
        let t = now()
        let ages = moved.map { ($0.key, max(0, t - $0.value.at)) }
        lock.unlock()
        for (sink, age) in ages { (try? registry.gauge(SluiceMetrics.checkpointAgeSeconds, [.sink: sink]))?.set(age) }
    }

    /// How long each sink's current batch has waited (`SinkPipeline.blockedSeconds`).
    func blocked(_ sinks: [(label: String, seconds: Double)]) {
        for b in sinks { (try? registry.gauge(SluiceMetrics.sinkBlockedSeconds, [.sink: b.label]))?.set(b.seconds) }
    }

    /// A failed attempt a sink retries (`redis_apply`, `checkpoint`, `kafka_delivery`).
    func error(_ kind: String) {
        counter(SluiceMetrics.errors, [.kind: kind])?.increment()
    }

    /// What the Kafka sink reports while it delivers: messages waiting for their delivery
    /// report (`sluice_kafka_queue_depth`), each failed delivery or producer error, and each
    /// message's produce-to-report time (`sluice_kafka_delivery_latency_seconds`).
    func kafkaObserver() -> KafkaSink.Observer {
        let depth = try? registry.gauge(SluiceMetrics.kafkaQueueDepth)
        let latency = try? registry.histogram(SluiceMetrics.kafkaDeliveryLatencySeconds)
        return KafkaSink.Observer(
            undelivered: { depth?.set(Double($0)) }, failed: { [self] _ in error("kafka_delivery") },
            delivered: { latency?.observe($0) })
    }

    /// The sink's cluster failed over and the daemon rewound to the replicated checkpoint.
    func rewind(sink: String) {
        counter(SluiceMetrics.rewinds, [.sink: sink])?.increment()
    }

    private func counter(_ definition: CounterDefinition, _ labels: LabelValues) -> Counter? {
        let key = CellKey(name: definition.name, labels: labels)
        lock.lock()
        defer { lock.unlock() }
        if let c = counters[key] { return c }
        let c = try? registry.counter(definition, labels)
        counters[key] = c
        return c
    }

    private struct CellKey: Hashable {
        var name: String
        var labels: LabelValues
    }
}
