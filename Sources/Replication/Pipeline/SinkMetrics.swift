import Foundation
import MySQLSource
import Ops
import Timekeeping

/// The per-sink metrics of `sluice run` (SluiceMetrics names), fed by the sink threads of
/// `SinkPipeline` and read by the metrics endpoint: rows written and refused as stale per table,
/// batches, each sink's checkpoint (file number, byte position, seconds since it last moved),
/// how long its current batch has waited, retried errors, the Kafka producer's undelivered
/// messages, failover rewinds, WAIT shortfalls and each sink's lag behind the source (`SinkLag`). `sink` labels are `redis.<cluster>` and `kafka`. Thread-safe; a sample that
/// cannot be made is skipped (a daemon must not stop replicating over a metric).
package final class SinkMetrics: @unchecked Sendable {
    private let registry: MetricsRegistry
    /// Its monotonic reading times how long each checkpoint has not moved.
    private let clock: any ServiceClock
    private let lock = NSLock()
    private var counters: [CellKey: Counter] = [:]
    /// When each sink's checkpoint last moved, and where to.
    private var moved: [String: (at: MonotonicInstant, checkpoint: SinkCheckpoint)] = [:]
    private var lag = SinkLag()
    /// The source's bytes behind, as last measured (it is measured less often than the rest).
    private var sourceBytes: UInt64?

    package init(registry: MetricsRegistry, clock: any ServiceClock = SystemClock()) {
        self.registry = registry
        self.clock = clock
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
        if changed { moved[sink] = (clock.monotonicNow(), checkpoint) }
        lock.unlock()
        guard changed else { return }
        let number = checkpoint.position.file.split(separator: ".").last.flatMap { Int($0) } ?? 0
        (try? registry.gauge(SluiceMetrics.checkpointFileNumber, [.sink: sink]))?.set(number)
        (try? registry.gauge(SluiceMetrics.checkpointPositionBytes, [.sink: sink]))?.set(checkpoint.position.offset)
        (try? registry.gauge(SluiceMetrics.checkpointAgeSeconds, [.sink: sink]))?.set(0)
    }

    /// A transaction read from the source ends at `checkpoint` (the reader's side of `SinkLag`).
    func read(_ checkpoint: SinkCheckpoint) {
        lock.lock()
        lag.observeRead(checkpoint)
        lock.unlock()
    }

    /// Sets every sink's checkpoint age to the seconds since it last moved and, given the
    /// source's lag, each sink's lag in seconds and bytes.
    func updateAges(source: SourceLag? = nil) {
        lock.lock()
        let t = clock.monotonicNow()
        if let bytes = source?.bytesBehind { sourceBytes = bytes }
        let sinks = moved.map {
            (sink: $0.key, age: max(0, t.seconds(since: $0.value.at)), checkpoint: $0.value.checkpoint)
        }
        let lag = lag
        let bytesBehind = sourceBytes
        lock.unlock()
        for sink in sinks {
            let labels: LabelValues = [.sink: sink.sink]
            (try? registry.gauge(SluiceMetrics.checkpointAgeSeconds, labels))?.set(sink.age)
            if let seconds = source?.secondsBehind {
                let value = lag.seconds(acknowledged: sink.checkpoint, sourceLagSeconds: seconds)
                (try? registry.gauge(SluiceMetrics.sinkLagSeconds, labels))?.set(value)
            }
            if let bytesBehind {
                let value = lag.bytes(acknowledged: sink.checkpoint, sourceLagBytes: bytesBehind)
                (try? registry.gauge(SluiceMetrics.sinkLagBytes, labels))?.set(value)
            }
        }
    }

    /// A Redis sink's WAIT answered fewer replicas than required `count` more times; `count` 0
    /// only shows the series (at 0) for a sink that waits for replicas.
    func waitShortfalls(sink: String, count: Int) {
        guard let cell = counter(SluiceMetrics.redisWaitShortfalls, [.sink: sink]), count > 0 else { return }
        cell.increment(by: UInt64(count))
    }

    /// How long each sink's current batch has waited (`SinkPipeline.blockedSeconds`).
    func blocked(_ sinks: [(label: String, seconds: Double)]) {
        for b in sinks { (try? registry.gauge(SluiceMetrics.sinkBlockedSeconds, [.sink: b.label]))?.set(b.seconds) }
    }

    /// A DR watermark round of `count` markers was delivered.
    func watermarkMarkers(_ count: Int) {
        guard count > 0 else { return }
        counter(SluiceMetrics.drWatermarkMarkers, [:])?.increment(by: UInt64(count))
    }

    /// A failed attempt a sink retries (`redis_apply`, `checkpoint`, `kafka_delivery`).
    func error(_ kind: SluiceMetrics.ErrorKind) {
        counter(SluiceMetrics.errors, [.kind: kind.rawValue])?.increment()
    }

    /// What the Kafka sink reports while it delivers: messages waiting for their delivery
    /// report (`sluice_kafka_queue_depth`), each failed delivery or producer error, and each
    /// message's produce-to-report time (`sluice_kafka_delivery_latency_seconds`).
    func kafkaObserver() -> KafkaSink.Observer {
        let depth = try? registry.gauge(SluiceMetrics.kafkaQueueDepth)
        let latency = try? registry.histogram(SluiceMetrics.kafkaDeliveryLatencySeconds)
        return KafkaSink.Observer(
            undelivered: { depth?.set(Double($0)) }, failed: { [self] _ in error(.kafkaDelivery) },
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
