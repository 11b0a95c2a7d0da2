import Ops
import RedisCluster

/// The Kafka sink as a pipeline sink, with the store its checkpoint goes to (the primary cluster,
/// over a client of its own). A batch is delivered whole (`KafkaSink.deliver` holds and retries
/// by itself while the brokers fail), so every failure of `apply` stops the pipeline: a mapping
/// error, or delivery abandoned because the pipeline stops. A checkpoint that cannot be stored
/// is retried; a fenced one steps down.
package final class KafkaPipelineSink: Sink {
    package let kafka: KafkaSink
    package let checkpoints: CheckpointStore

    package init(_ kafka: KafkaSink, checkpoints: CheckpointStore) {
        self.kafka = kafka
        self.checkpoints = checkpoints
    }

    package var name: String { kafka.name }
    package var label: String { kafka.name }
    package var requiresReplicas: Bool { false }

    package func loadCheckpoint() throws -> SinkCheckpoint? { try checkpoints.load(sink: name) }

    package func fence(_ token: FenceToken) { checkpoints.fence = token }

    package func apply(_ transactions: [PipelineTransaction], checkpoint: SinkCheckpoint?, shouldAbort: () -> Bool)
        throws -> SinkApplied
    {
        var messages: [KafkaChangeMessage] = []
        var rows: [String: RedisSink.TableCounts] = [:]
        for transaction in transactions {
            messages += try kafka.messages(for: transaction)
            for change in transaction.changes { rows[change.qualifiedTable, default: .init()].applied += 1 }
        }
        try kafka.deliver(messages, shouldAbort: shouldAbort)
        return SinkApplied(rows: rows)
    }

    package func storeCheckpoint(_ checkpoint: SinkCheckpoint?) throws {
        if let checkpoint { try checkpoints.store(checkpoint, sink: name) } else { try checkpoints.remove(sink: name) }
    }

    package func failure(_ error: Error, in step: SinkStep) -> SinkFailure {
        guard step == .checkpoint else { return .halt(line: "sink \(name): \(error); stopping") }
        if let error = error as? RedisError, error.code == .fenced { return .fenced }
        return .retry(.checkpoint)
    }

    /// The producer goes when the pipeline thread ends, not whenever the sink object is freed: a
    /// stopped daemon leaves no librdkafka threads behind still talking to the broker.
    package func close() { kafka.close() }
}
