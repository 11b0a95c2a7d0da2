import RedisCluster

/// The primary cluster as a pipeline sink: the batch and its checkpoint in one apply (the
/// checkpoint is written only after the batch and its `WAIT`), a mapping error of a halting table
/// stops the pipeline, a fenced write steps down, anything else (unreachable, a failover in
/// progress) is retried. Its failover watch and the replicas' confirmation are the pipeline's
/// `RedisFailoverGuard`.
extension RedisSink: Sink {
    package var label: String { "redis.\(name)" }
    package var requiresReplicas: Bool { settings.waitReplicas > 0 }

    package func fence(_ token: FenceToken) { applier.fence = token }

    package func apply(_ transactions: [PipelineTransaction], checkpoint: SinkCheckpoint?, shouldAbort: () -> Bool)
        throws -> SinkApplied
    {
        let shortfalls = counters.waitShortfalls
        try apply(transactions.flatMap(\.changes), checkpoint: checkpoint)
        let missed = counters.waitShortfalls - shortfalls
        return SinkApplied(
            rows: lastApplyByTable, checkpointStored: true, replicated: requiresReplicas && missed == 0,
            waitShortfalls: missed)
    }

    package func storeCheckpoint(_ checkpoint: SinkCheckpoint?) throws {
        if let checkpoint { try checkpoints.store(checkpoint, sink: name) } else { try checkpoints.remove(sink: name) }
    }

    package func failure(_ error: Error, in step: SinkStep) -> SinkFailure {
        switch error {
        case let error as MappingError:
            return .halt(line: "sink \(name): \(error); stopping (the checkpoint stays before this transaction)")
        case let error as RedisError where error.code == .fenced:
            return .fenced
        default:
            return .retry(step == .apply ? .redisApply : .checkpoint)
        }
    }

    /// Nothing to release early: the client's connections close with the sink.
    package func close() {}
}
