import Foundation
import Ops
import Timekeeping

/// What a sink's loop does beyond applying batches, for the sinks that need more: the Redis
/// sink's failover watch and replica confirmation (`RedisFailoverGuard`), the Kafka sink's DR
/// watermark rounds (`WatermarkRounder`). `SinkPipeline.extras(for:)` picks them by the sink's
/// type; any other sink gets `NoLoopExtras`. Every method but `wakeAt` has a default that does
/// nothing (and drops nothing).
protocol SinkLoopExtras: AnyObject {
    /// Until when the loop waits for a batch before going on without one (nil: until one comes).
    var wakeAt: MonotonicInstant? { get }
    /// After each wait for a batch, which may have brought none: true drops the batch.
    func beforeBatch() -> Bool
    /// Before the pause after a failed apply: true ends the retries and drops the batch.
    func beforeRetry() -> Bool
    /// After the batch was applied and before it counts: true drops it (not acknowledged).
    func afterApply() -> Bool
    /// The batch through `ticket` was acknowledged (`replicated` as the sink said), ending at
    /// `checkpoint` (nil: inside a big transaction).
    func acknowledged(
        through ticket: CheckpointCoordinator.Ticket, epoch: Int, replicated: Bool, checkpoint: SinkCheckpoint?)
    /// After each batch (or wait without one), before the next wait.
    func betweenBatches()
    /// The queue is closed and every batch in it applied (not called after a halt).
    func drained()
}

extension SinkLoopExtras {
    func beforeBatch() -> Bool { false }
    func beforeRetry() -> Bool { false }
    func afterApply() -> Bool { false }
    func acknowledged(
        through ticket: CheckpointCoordinator.Ticket, epoch: Int, replicated: Bool, checkpoint: SinkCheckpoint?
    ) {}
    func betweenBatches() {}
    func drained() {}
}

/// A sink that needs nothing beyond the loop.
final class NoLoopExtras: SinkLoopExtras {
    var wakeAt: MonotonicInstant? { nil }
}

extension SinkPipeline {
    /// What applying one batch came to: applied, dropped (a failover or a rewind made it
    /// obsolete), or halted (the pipeline stops).
    enum BatchOutcome {
        case applied(SinkApplied)
        case dropped
        case halted
    }

    /// The loop of every sink, on its own thread: a batch of what its queue holds, applied,
    /// checkpointed and acknowledged, until the queue is closed and drained or the pipeline halts.
    func run(_ sink: any Sink, _ queue: BoundedQueue<Item>) {
        defer { sink.close() }
        let extras = extras(for: sink)
        if sink.requiresReplicas { metrics?.waitShortfalls(sink: sink.label, count: 0) }
        while let items = batch(from: queue, for: sink.name, deadline: extras.wakeAt) {
            if extras.beforeBatch() { continue }
            if !items.isEmpty, !process(items, sink, extras) { return }
            extras.betweenBatches()
        }
        extras.drained()
    }

    /// The sink's extras: the one place that knows which sinks need more than the loop.
    private func extras(for sink: any Sink) -> SinkLoopExtras {
        if let redis = sink as? RedisSink { return RedisFailoverGuard(redis, pipeline: self) }
        if let kafka = sink as? KafkaPipelineSink, let interval = settings.watermarkIntervalSeconds {
            return WatermarkRounder(kafka.kafka, pipeline: self, interval: interval)
        }
        return NoLoopExtras()
    }

    /// One batch: applied (retried as the sink's failure policy says), its checkpoint stored,
    /// acknowledged and counted. False when the pipeline halts.
    private func process(_ items: [Item], _ sink: any Sink, _ extras: SinkLoopExtras) -> Bool {
        guard let last = items.last else { return true }
        let checkpoint = items.last { $0.transaction.checkpoint != nil }?.transaction.checkpoint
        let applied: SinkApplied
        switch apply(items, checkpoint: checkpoint, to: sink, extras) {
        case .halted: return false
        case .dropped: return true
        case .applied(let a): applied = a
        }
        // Before acknowledging: a batch that reached a promoted replica must not move
        // `replicated` past writes its old master may have lost.
        if extras.afterApply() { return true }
        if let checkpoint, !applied.checkpointStored, !store(checkpoint, sink) { return false }
        if sink.requiresReplicas { metrics?.waitShortfalls(sink: sink.label, count: applied.waitShortfalls) }
        acknowledge(sink.name, through: last.ticket, epoch: last.epoch, replicated: applied.replicated)
        extras.acknowledged(
            through: last.ticket, epoch: last.epoch, replicated: applied.replicated, checkpoint: checkpoint)
        metrics?.batch(sink: sink.label, rows: applied.rows)
        if let checkpoint { metrics?.checkpoint(sink: sink.label, checkpoint) }
        return true
    }

    /// Applies `items` to `sink`, retrying after a pause while its failure policy says so; a
    /// rewind since the batch was taken (or `extras` seeing a failover) drops it.
    private func apply(
        _ items: [Item], checkpoint: SinkCheckpoint?, to sink: any Sink, _ extras: SinkLoopExtras
    ) -> BatchOutcome {
        guard let last = items.last else { return .dropped }
        let transactions = items.map(\.transaction)
        var halted = false
        var loop = retrying(RetryReport("sink \(sink.name): applying a batch of \(items.count) transaction(s)"), sink)
        let outcome = loop.run(
            until: { shouldStop || last.epoch != currentEpoch },
            { try sink.apply(transactions, checkpoint: checkpoint, shouldAbort: { self.shouldStop }) },
            onFailure: { error in
                let next = handle(error, of: sink, in: .apply)
                halted = next == .end
                return next
            },
            beforePause: { extras.beforeRetry() ? .end : .retry })
        switch outcome {
        case .done(let applied): return .applied(applied)
        case .stopped where shouldStop: return .halted
        case .ended where halted: return .halted
        case .stopped, .ended: return .dropped
        }
    }

    /// Stores the sink's checkpoint after its batch, retried as its failure policy says. False
    /// when the pipeline stops first.
    private func store(_ checkpoint: SinkCheckpoint, _ sink: any Sink) -> Bool {
        var loop = retrying(RetryReport("sink \(sink.name): storing its checkpoint"), sink)
        let outcome = loop.run(
            until: { shouldStop }, { try sink.storeCheckpoint(checkpoint) },
            onFailure: { handle($0, of: sink, in: .checkpoint) })
        guard case .done = outcome else { return false }
        return true
    }

    /// The failure policy's answer carried out: a retried failure counted, a halt or a fenced
    /// write logged and the pipeline stopped.
    private func handle(_ error: Error, of sink: any Sink, in step: SinkStep) -> Retrying.Next {
        switch sink.failure(error, in: step) {
        case .retry(let kind):
            metrics?.error(kind)
            return .retry
        case .halt(let line):
            log(.error, line, sink: sink)
            fail(error)
        case .fenced:
            fenced(error, sink: sink)
        }
        return .end
    }

    /// The pipeline's retry loop for `sink`: a pause of `retryPauseSeconds`, its lines with the
    /// sink's label.
    func retrying(_ report: RetryReport, _ sink: any Sink) -> Retrying {
        Retrying(
            pauseSeconds: settings.retryPauseSeconds, clock: clock, report: report,
            log: { self.log($0, $1, sink: sink) })
    }

    /// A write refused by the fence (guarantee 7): another instance holds the lease. Never
    /// retried; the pipeline stops and the daemon steps down.
    private func fenced(_ error: Error, sink: any Sink) {
        metrics?.error(.fenced)
        log(
            .error,
            "sink \(sink.name): write refused by the fence, another instance holds the lease; stepping down: \(error)",
            sink: sink)
        fail(error)
    }
}
