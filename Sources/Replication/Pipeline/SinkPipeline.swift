import Binlog
import Foundation
import Ops
import RedisCluster
import Timekeeping

/// A committed transaction, or one chunk of a big one, as the sinks receive it.
package struct PipelineTransaction: Sendable, Equatable {
    package var changes: [RowChange]
    package var origin: KafkaChangeMessage.Origin
    /// Where to resume after this transaction; nil for a chunk that is not its transaction's last.
    package var checkpoint: SinkCheckpoint?
    /// A statement event group (DDL and other statements), credentials masked.
    package var statement: KafkaSchemaChange?

    package init(
        changes: [RowChange], origin: KafkaChangeMessage.Origin, checkpoint: SinkCheckpoint?,
        statement: KafkaSchemaChange? = nil
    ) {
        self.changes = changes
        self.origin = origin
        self.checkpoint = checkpoint
        self.statement = statement
    }
}

/// The sink half of the daemon: filtered transactions go to every registered `Sink` (the primary
/// Redis sink, the Kafka sink when enabled), each on its own thread behind its own bounded queue,
/// so the sinks work concurrently and a slow one makes `submit` wait (back-pressure reaches the
/// source). Every sink runs the same loop (`SinkPipeline+Loop.swift`): it takes whatever its queue
/// holds as one batch, applies it, stores its checkpoint, then acknowledges to the
/// `CheckpointCoordinator`. A sink error that retrying may fix (Redis unreachable, a failover in
/// progress) is retried after a pause, never skipped; an error the sink says halts (a mapping
/// error of a halting table) stops the pipeline with that error.
///
/// Redis failover safety (docs/daemon.md, `RedisFailoverGuard`): the Redis sink thread compares
/// its client's slot map with the last one after every batch, after every failed attempt and at
/// least every `topologyCheckSeconds`. When a replica took over slots, the pipeline rewinds:
/// queued transactions are dropped, acknowledgements of earlier tickets no longer count, the
/// checkpoints fall back to `replicated` (also written to the Redis sink's stored checkpoint, so a
/// crash before the replay resumes from there too) and `submit` refuses until the daemon took the
/// rewind (`takeRewind`) and restarted its source from that checkpoint.
package final class SinkPipeline: @unchecked Sendable {
    package struct Settings: Sendable {
        package var queueCapacity: Int
        /// Bytes of transactions (`PipelineTransaction.estimatedBytes`) a sink's queue holds at
        /// most, plus one transaction chunk, and a sink's batch too: memory in flight is bounded
        /// whatever the backlog and the transaction size. The queues share the transactions
        /// they all hold.
        package var queueBytes: Int
        /// Transactions a sink takes from its queue at most per batch.
        package var batchTransactions: Int
        package var retryPauseSeconds: Double
        /// Longest time between two looks at the primary cluster's topology (`CLUSTER SLOTS`).
        package var topologyCheckSeconds: Double
        /// How often the Kafka sink writes a DR watermark round (`[kafka] watermark_interval_ms`,
        /// also while idle); nil: never.
        package var watermarkIntervalSeconds: Double?

        package init(
            queueCapacity: Int = 1024, queueBytes: Int = 8 << 20, batchTransactions: Int = 256,
            retryPauseSeconds: Double = 0.2, topologyCheckSeconds: Double = 1, watermarkIntervalSeconds: Double? = nil
        ) {
            self.watermarkIntervalSeconds = watermarkIntervalSeconds
            self.queueCapacity = queueCapacity
            self.queueBytes = queueBytes
            self.batchTransactions = batchTransactions
            self.retryPauseSeconds = retryPauseSeconds
            self.topologyCheckSeconds = topologyCheckSeconds
        }
    }

    /// A rewind after a failover of the Redis sink's cluster: why, and the checkpoint reading
    /// restarts from (nil: nothing was confirmed yet, restart where the daemon started).
    package struct Rewind: Sendable, Equatable {
        package var reason: String
        package var target: SinkCheckpoint?
        /// `committed` when the rewind was decided, and the tickets in flight it dropped.
        package var committedBefore: SinkCheckpoint?
        package var dropped: Int
    }

    /// `epoch`: the rewinds before this item was handed out; an item of an older epoch is dropped.
    typealias Item = (ticket: CheckpointCoordinator.Ticket, epoch: Int, transaction: PipelineTransaction)

    private let filter: TableFilter
    let settings: Settings
    /// Retried failures at warning, their recovery at notice, a halt at error; `sink` metadata.
    let logger: Logger
    private let lock = NSLock()
    /// The checkpoint reading resumed from (the DR watermark's before the Kafka sink has its own).
    let start: SinkCheckpoint?
    /// The last ticket handed out when the source was last known caught up, and its server time.
    var sourceCurrent: (ticket: CheckpointCoordinator.Ticket, serverSeconds: Double)?
    private var coordinator: CheckpointCoordinator
    private var failure: Error?
    private var stopping = false
    private var epoch = 0
    /// Decided by the Redis sink thread, not yet taken by the daemon.
    private var pendingRewind: Rewind?
    let metrics: SinkMetrics?
    private var queues: [BoundedQueue<Item>] = []
    private var threads: [Thread] = []
    /// Per sink (by name): its metrics label and since when its current batch has waited.
    private var labels: [(name: String, label: String)] = []
    private var busySince: [String: MonotonicInstant] = [:]
    /// Its monotonic reading times the waits, looks and pauses of every sink's loop.
    let clock: any ServiceClock
    private let finished = DispatchGroup()

    /// `sinks`: every registered sink (`DaemonSinks`), each with a distinct name. `start` is the
    /// checkpoint reading resumes from. The sinks belong to the pipeline's threads from now on.
    package init(
        sinks: [any Sink], filter: TableFilter, start: SinkCheckpoint?, settings: Settings = Settings(),
        metrics: SinkMetrics? = nil, logger: Logger, clock: any ServiceClock = SystemClock()
    ) {
        self.clock = clock
        self.filter = filter
        self.settings = settings
        self.start = start
        self.metrics = metrics
        self.logger = logger
        labels = sinks.map { ($0.name, $0.label) }
        coordinator = CheckpointCoordinator(
            sinks: sinks.map { CheckpointCoordinator.Sink($0.name, requiresReplicas: $0.requiresReplicas) },
            start: start)
        for sink in sinks {
            let queue = Self.queue(settings)
            queues.append(queue)
            let owned = Owned(sink)
            spawn("sluice-sink-\(sink.name)") { [self] in run(owned.value, queue) }
        }
    }

    /// Logs `text` at `level` with the sink's label as `sink` metadata.
    func log(_ level: LogLevel, _ text: String, sink: any Sink) {
        logger.log(level, text, ["sink": .string(sink.label)])
    }

    private static func queue(_ settings: Settings) -> BoundedQueue<Item> {
        BoundedQueue(capacity: settings.queueCapacity, byteCapacity: settings.queueBytes) {
            $0.transaction.estimatedBytes
        }
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        finished.enter()
        let thread = Thread { [finished] in
            body()
            finished.leave()
        }
        thread.name = name
        threads.append(thread)
        thread.start()
    }

    /// Hands a transaction to every sink, waiting while a queue is full. Tables the filter
    /// excludes are dropped here. Returns false once the pipeline failed or was closed.
    @discardableResult
    package func submit(_ transaction: PipelineTransaction) -> Bool {
        var t = transaction
        t.changes = filter.apply(t.changes)
        lock.lock()
        if failure != nil || stopping || pendingRewind != nil {
            lock.unlock()
            return false
        }
        let ticket = coordinator.dispatch(checkpoint: t.checkpoint)
        let current = epoch
        lock.unlock()
        if let read = t.checkpoint { metrics?.read(read) }
        for q in queues where !q.push((ticket, current, t)) { return false }
        return true
    }

    /// The daemon's loop: every transaction the source sent up to its server time `serverSeconds`
    /// was submitted (the DR watermark's `as_of`, `KafkaWatermarkClock`).
    package func sourceCaughtUp(serverSeconds: Double) {
        locked { sourceCurrent = (coordinator.lastTicket, serverSeconds) }
    }

    /// The rewind the Redis sink decided, once: the caller must restart reading from its
    /// `target` (until then `submit` refuses every transaction).
    package func takeRewind() -> Rewind? {
        locked {
            defer { pendingRewind = nil }
            return pendingRewind
        }
    }

    /// Waits until every sink's queue has room for one more transaction (true; `submit` then
    /// does not wait), or `deadline` passes first (false), so the caller can report while a sink
    /// holds everything up.
    package func waitForRoom(until deadline: Date) -> Bool {
        for q in queues where !q.waitForRoom(deadline: deadline) { return false }
        return true
    }

    /// Per sink, its metrics label (`redis.<cluster>`, `kafka`) and how long its current batch
    /// has waited to be acknowledged (0 while it keeps up): a held sink shows here first.
    package func blockedSeconds() -> [(label: String, seconds: Double)] {
        let now = clock.monotonicNow()
        return locked { labels.map { ($0.label, busySince[$0.name].map { max(0, now.seconds(since: $0)) } ?? 0) } }
    }

    /// Stops taking transactions; the sinks finish what is queued. Returns true when they did
    /// within `timeoutSeconds` (then `committed` covers everything submitted).
    package func drain(timeoutSeconds: Double) -> Bool {
        lock.lock()
        stopping = true
        lock.unlock()
        for q in queues { q.close() }
        return finished.wait(timeout: .now() + max(timeoutSeconds, 0)) == .success
    }

    package var committed: SinkCheckpoint? { locked { coordinator.committed } }
    package var replicated: SinkCheckpoint? { locked { coordinator.replicated } }
    package var inFlight: Int { locked { coordinator.inFlight } }
    /// In flight and not yet applied by every sink (the rest only wait for Redis replicas).
    package var unapplied: Int { locked { coordinator.unapplied } }
    /// The error that stopped the pipeline, if one did.
    package var error: Error? { locked { failure } }

    func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var shouldStop: Bool { locked { failure != nil } }

    func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
        for q in queues { q.close() }
    }

    /// Records that `sink` applied everything through `ticket`; ignored when a rewind happened
    /// since `epoch` (those tickets no longer count).
    func acknowledge(
        _ sink: String, through ticket: CheckpointCoordinator.Ticket, epoch: Int, replicated: Bool
    ) {
        lock.lock()
        defer { lock.unlock() }
        guard epoch == self.epoch else { return }
        do {
            try coordinator.acknowledge(sink: sink, through: ticket, replicated: replicated)
        } catch {
            if failure == nil { failure = error }
        }
    }

    var currentEpoch: Int { locked { epoch } }

    /// Up to `batchTransactions` items of the current epoch, and up to `queueBytes` plus one
    /// item: waits for the first (until `deadline`, if any), takes the rest only if already queued. Empty when the deadline passed
    /// or only items of an earlier epoch came; nil once the queue is closed and drained. `sink`
    /// counts as busy from a non-empty batch until it asks for the next one.
    func batch(from queue: BoundedQueue<Item>, for sink: String, deadline: MonotonicInstant? = nil) -> [Item]? {
        locked { busySince[sink] = nil }
        guard let first = queue.pop(deadline: deadline.map(clock.wallDate(at:))) else {
            return queue.isClosed ? nil : []
        }
        var items = [first]
        var bytes = first.transaction.estimatedBytes
        while items.count < settings.batchTransactions, bytes < settings.queueBytes,
            let more = queue.pop(deadline: Date())
        {
            items.append(more)
            bytes += more.transaction.estimatedBytes
        }
        return locked {
            let current = epoch
            let kept = items.filter { $0.epoch == current }
            if !kept.isEmpty { busySince[sink] = clock.monotonicNow() }
            return kept
        }
    }

    /// Decides a rewind (once per failover): drops everything queued, makes earlier tickets no
    /// longer count and moves the checkpoints back to `replicated`. Returns the target, or nil
    /// when the pipeline already failed or stopped taking transactions.
    func requestRewind(_ reason: String, sink: String) -> Rewind? {
        lock.lock()
        guard failure == nil else {
            lock.unlock()
            return nil
        }
        let before = coordinator.committed
        let dropped = coordinator.inFlight
        let target = coordinator.rewind()
        epoch += 1
        let rewind = Rewind(reason: reason, target: target, committedBefore: before, dropped: dropped)
        pendingRewind = rewind
        // Under the lock: once the daemon took the rewind, what it submits must stay queued.
        for q in queues { q.removeAll() }
        lock.unlock()
        metrics?.rewind(sink: sink)
        return rewind
    }
}

/// A value handed to the one thread that uses it from then on.
struct Owned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
