import Ops
import RedisCluster

/// One destination of the daemon's transactions: the primary Redis cluster (`RedisSink`), Kafka
/// (`KafkaPipelineSink`), and whatever comes next (the ledger's write-through, another format).
/// `SinkPipeline` runs every registered sink through the same loop (`SinkPipeline+Loop.swift`):
/// its own thread behind its own bounded queue; a batch of whatever the queue holds; `apply`
/// retried with `Retrying` while `failure` says `.retry`; the batch's checkpoint stored (by
/// `apply` itself when it can store it with the batch, else by `storeCheckpoint`); then the
/// acknowledgement to the `CheckpointCoordinator`, and metrics labelled `sink=<label>`.
///
/// Adding a sink is implementing this protocol and registering it in `DaemonSinks.make`
/// (ARCHITECTURE.md, "How to add a sink"). A sink is used by its pipeline thread only, from its
/// registration on; `close` is the last call it gets.
package protocol Sink: AnyObject {
    /// The name the checkpoint coordinator knows it by and its checkpoint is stored under
    /// (`primary`, `kafka`).
    var name: String { get }
    /// Its `sink` label in metrics and log metadata (`redis.primary`, `kafka`).
    var label: String { get }
    /// Its acknowledgements count only once its replicas confirmed them (`SinkApplied.replicated`).
    var requiresReplicas: Bool { get }
    /// The checkpoint it stored last (nil: none yet), read at startup.
    func loadCheckpoint() throws -> SinkCheckpoint?
    /// Under `[ha]`, before anything is written: every write from now on carries `token`, so
    /// writes of an older holder are refused (guarantee 7).
    func fence(_ token: FenceToken)
    /// Applies the transactions of one batch in order and returns once they are durable in the
    /// sink. `checkpoint` is the batch's last transaction end (nil when the batch ends inside a
    /// big transaction): a sink that can store it together with the batch does, and says so in
    /// the result. `shouldAbort` answers true once the pipeline stops: a sink waiting a long time
    /// may give up by throwing.
    func apply(_ transactions: [PipelineTransaction], checkpoint: SinkCheckpoint?, shouldAbort: () -> Bool)
        throws -> SinkApplied
    /// Stores its checkpoint (after a batch whose `apply` did not; nil: removes it).
    func storeCheckpoint(_ checkpoint: SinkCheckpoint?) throws
    /// What a failed `apply` or `storeCheckpoint` means for the retry policy.
    func failure(_ error: Error, in step: SinkStep) -> SinkFailure
    /// Releases its connections and threads; the pipeline thread ends after it.
    func close()
}

/// The step of a sink's loop that failed.
package enum SinkStep: Sendable, Equatable {
    case apply, checkpoint
}

/// What applying one batch came to.
package struct SinkApplied: Sendable, Equatable {
    /// Rows applied and refused as stale, by `db.table` (`sluice_sink_rows_applied_total`).
    package var rows: [String: RedisSink.TableCounts]
    /// `apply` stored the batch's checkpoint with the batch.
    package var checkpointStored: Bool
    /// Its replicas confirmed the batch (ignored unless `requiresReplicas`).
    package var replicated: Bool
    /// Replica confirmations (`WAIT`) that fell short while applying (`sluice_redis_wait_shortfalls_total`).
    package var waitShortfalls: Int

    package init(
        rows: [String: RedisSink.TableCounts], checkpointStored: Bool = false, replicated: Bool = true,
        waitShortfalls: Int = 0
    ) {
        self.rows = rows
        self.checkpointStored = checkpointStored
        self.replicated = replicated
        self.waitShortfalls = waitShortfalls
    }
}

/// The retry policy's answer to a failed step.
package enum SinkFailure: Sendable, Equatable {
    /// Tried again after the pipeline's pause, counted in `sluice_errors_total{kind}`.
    case retry(SluiceMetrics.ErrorKind)
    /// Stops the pipeline with the error (the checkpoint stays before the batch); `line` is what
    /// the log says, at error.
    case halt(line: String)
    /// Refused by the fence: another instance holds the lease. The pipeline stops and the daemon
    /// steps down.
    case fenced
}
