import Foundation
import Ops
import RedisCluster
import Timekeeping

/// The Redis sink's part of its pipeline loop (docs/daemon.md): failover safety and the replicas'
/// confirmation. It compares the client's slot map with the last one after every batch, after
/// every failed attempt and at least every `topologyCheckSeconds` (`FailoverWatch`); a replica
/// that took over slots makes the pipeline rewind, and the rewound checkpoint is stored. A batch
/// acknowledged while its `WAIT` fell short is confirmed later (`WAIT` on every master again), at
/// the next look and once more when the queue is drained. Used by the sink's thread only.
final class RedisFailoverGuard: SinkLoopExtras {
    private let sink: RedisSink
    private unowned let pipeline: SinkPipeline
    private var watch = FailoverWatch()
    private var seen: SlotMap
    private var nextLook: MonotonicInstant
    /// The last acknowledged batch when its `WAIT` fell short: `replicated` waits for it.
    private var unconfirmed: (ticket: CheckpointCoordinator.Ticket, epoch: Int)?

    init(_ sink: RedisSink, pipeline: SinkPipeline) {
        self.sink = sink
        self.pipeline = pipeline
        seen = sink.applier.client.slotMap
        _ = watch.observe(ClusterRoles(slotMap: seen))
        nextLook = pipeline.clock.monotonicNow().advanced(by: pipeline.settings.topologyCheckSeconds)
    }

    var wakeAt: MonotonicInstant? { nextLook }

    func beforeBatch() -> Bool {
        guard pipeline.clock.monotonicNow() >= nextLook else { return false }
        if failedOver(reload: true) { return true }
        confirmReplicas()
        return false
    }

    func beforeRetry() -> Bool { failedOver(reload: true) }

    func afterApply() -> Bool { failedOver(reload: false) }

    func acknowledged(
        through ticket: CheckpointCoordinator.Ticket, epoch: Int, replicated: Bool, checkpoint: SinkCheckpoint?
    ) {
        unconfirmed = replicated || !sink.requiresReplicas ? nil : (ticket, epoch)
    }

    /// Drained: one more chance for the replicas to confirm the last batch.
    func drained() { confirmReplicas() }

    /// Asks the replicas again (`WAIT` on every master) for a batch acknowledged without them.
    private func confirmReplicas() {
        guard let u = unconfirmed else { return }
        guard u.epoch == pipeline.currentEpoch else {
            unconfirmed = nil
            return
        }
        if (try? sink.replicasHaveEverything()) == true {
            pipeline.acknowledge(sink.name, through: u.ticket, epoch: u.epoch, replicated: true)
            unconfirmed = nil
        }
    }

    /// Looks at the slot map (reloaded first when `reload`); true when it shows a failover,
    /// after the rewind was decided and the rewound checkpoint stored.
    private func failedOver(reload: Bool) -> Bool {
        let client = sink.applier.client
        if reload {
            try? client.refreshSlotMap()
            nextLook = pipeline.clock.monotonicNow().advanced(by: pipeline.settings.topologyCheckSeconds)
        }
        guard client.slotMap != seen else { return false }
        seen = client.slotMap
        guard case .rewind(let reason) = watch.observe(ClusterRoles(slotMap: seen)),
            let rewind = pipeline.requestRewind(reason, sink: sink.label)
        else { return false }
        storeRewound(rewind.target)
        return true
    }

    /// Writes the rewind target as the sink's stored checkpoint (none: removes it), so a restart
    /// before the replay got past it also replays from there. Retried until it succeeds or the
    /// pipeline stops.
    private func storeRewound(_ target: SinkCheckpoint?) {
        var loop = pipeline.retrying(RetryReport("sink \(sink.name): storing the rewound checkpoint"), sink)
        _ = loop.run(
            until: { pipeline.shouldStop },
            {
                try sink.storeCheckpoint(target)
                if let target { pipeline.metrics?.checkpoint(sink: sink.label, target) }
            })
    }
}
