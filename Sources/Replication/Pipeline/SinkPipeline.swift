import Binlog
import Foundation
import Ops
import RedisCluster

/// A committed transaction, or one chunk of a big one, as the sinks receive it.
public struct PipelineTransaction: Sendable, Equatable {
    public var changes: [RowChange]
    public var origin: KafkaChangeMessage.Origin
    /// Where to resume after this transaction; nil for a chunk that is not its transaction's last.
    public var checkpoint: SinkCheckpoint?
    /// A statement event group (DDL and other statements), credentials masked.
    public var statement: KafkaSchemaChange?

    public init(
        changes: [RowChange], origin: KafkaChangeMessage.Origin, checkpoint: SinkCheckpoint?,
        statement: KafkaSchemaChange? = nil
    ) {
        self.changes = changes
        self.origin = origin
        self.checkpoint = checkpoint
        self.statement = statement
    }
}

/// The sink half of the daemon: filtered transactions go to the primary Redis sink and the Kafka
/// sink, each on its own thread behind its own bounded queue, so the sinks work concurrently and
/// a slow one makes `submit` wait (back-pressure reaches the source). Each sink takes whatever
/// its queue holds as one batch, applies it, writes its own checkpoint (the Kafka sink's lives in
/// the primary cluster), then acknowledges to the `CheckpointCoordinator`. A sink error that
/// retrying may fix (Redis unreachable, a failover in progress) is retried after a pause, never
/// skipped; a mapping error of a halting table stops the pipeline with that error.
///
/// Redis failover safety (docs/daemon.md): the Redis sink thread compares its client's slot map
/// with the last one after every batch, after every failed attempt and at least every
/// `topologyCheckSeconds` (`FailoverWatch`). When a replica took over slots, the pipeline rewinds:
/// queued transactions are dropped, acknowledgements of earlier tickets no longer count, the
/// checkpoints fall back to `replicated` (also written to the Redis sink's stored checkpoint, so a
/// crash before the replay resumes from there too) and `submit` refuses until the daemon took the
/// rewind (`takeRewind`) and restarted its source from that checkpoint.
package final class SinkPipeline: @unchecked Sendable {
    package struct Settings: Sendable {
        package var queueCapacity: Int
        /// Bytes of transactions (`PipelineTransaction.estimatedBytes`) a sink's queue holds at
        /// most, plus one transaction chunk, and a sink's batch too: memory in flight is bounded
        /// whatever the backlog and the transaction size. The two queues share the transactions
        /// they both hold.
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
    private typealias Item = (ticket: CheckpointCoordinator.Ticket, epoch: Int, transaction: PipelineTransaction)

    private let filter: TableFilter
    let settings: Settings
    /// Receives each line with its level: warning for a retried failure, notice for its recovery, error for a halt.
    let log: (LogLevel, String) -> Void
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
    private var busySince: [String: Date] = [:]
    private let finished = DispatchGroup()

    /// `redis`: the primary cluster's sink; `kafka`: nil when `[kafka] enabled = false`, else with
    /// the store its checkpoint goes to (the primary cluster, over a client of its own). `start`
    /// is the checkpoint reading resumes from. The sinks belong to the pipeline's threads from now on.
    package init(
        redis: RedisSink, kafka: (sink: KafkaSink, checkpoints: CheckpointStore)?, filter: TableFilter,
        start: SinkCheckpoint?,
        settings: Settings = Settings(), metrics: SinkMetrics? = nil, log: @escaping (LogLevel, String) -> Void
    ) {
        self.filter = filter
        self.settings = settings
        self.start = start
        self.metrics = metrics
        self.log = log
        labels.append((redis.name, "redis.\(redis.name)"))
        if let kafka { labels.append((kafka.sink.name, kafka.sink.name)) }
        var sinks = [CheckpointCoordinator.Sink(redis.name, requiresReplicas: redis.settings.waitReplicas > 0)]
        if let kafka { sinks.append(CheckpointCoordinator.Sink(kafka.sink.name)) }
        coordinator = CheckpointCoordinator(sinks: sinks, start: start)
        let redisQueue = Self.queue(settings)
        queues.append(redisQueue)
        let ownedRedis = Owned(redis)
        spawn("sluice-sink-\(redis.name)") { [self] in runRedis(ownedRedis.value, redisQueue) }
        if let kafka {
            let kafkaQueue = Self.queue(settings)
            queues.append(kafkaQueue)
            let owned = Owned(kafka)
            spawn("sluice-sink-\(kafka.sink.name)") { [self] in
                runKafka(owned.value.sink, owned.value.checkpoints, kafkaQueue)
            }
        }
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
    package func blockedSeconds(now: Date = Date()) -> [(label: String, seconds: Double)] {
        locked { labels.map { ($0.label, busySince[$0.name].map { max(0, now.timeIntervalSince($0)) } ?? 0) } }
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

    private func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
        for q in queues { q.close() }
    }

    /// Records that `sink` applied everything through `ticket`; ignored when a rewind happened
    /// since `epoch` (those tickets no longer count).
    private func acknowledge(
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

    private var currentEpoch: Int { locked { epoch } }

    /// Up to `batchTransactions` items of the current epoch, and up to `queueBytes` plus one
    /// item: waits for the first (until `deadline`, if any), takes the rest only if already queued. Empty when the deadline passed
    /// or only items of an earlier epoch came; nil once the queue is closed and drained. `sink`
    /// counts as busy from a non-empty batch until it asks for the next one.
    private func batch(from queue: BoundedQueue<Item>, for sink: String, deadline: Date? = nil) -> [Item]? {
        locked { busySince[sink] = nil }
        guard let first = queue.pop(deadline: deadline) else { return queue.isClosed ? nil : [] }
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
            if !kept.isEmpty { busySince[sink] = Date() }
            return kept
        }
    }

    /// Decides a rewind (once per failover): drops everything queued, makes earlier tickets no
    /// longer count and moves the checkpoints back to `replicated`. Returns the target, or nil
    /// when the pipeline already failed or stopped taking transactions.
    private func requestRewind(_ reason: String, sink: String) -> Rewind? {
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

    private func runRedis(_ sink: RedisSink, _ queue: BoundedQueue<Item>) {
        let label = "redis.\(sink.name)"
        if sink.settings.waitReplicas > 0 { metrics?.waitShortfalls(sink: label, count: 0) }
        let client = sink.applier.client
        var watch = FailoverWatch()
        var seen = client.slotMap
        _ = watch.observe(ClusterRoles(slotMap: seen))
        var nextLook = Date().addingTimeInterval(settings.topologyCheckSeconds)
        /// The last acknowledged batch when its `WAIT` fell short: `replicated` waits for it.
        var unconfirmed: (ticket: CheckpointCoordinator.Ticket, epoch: Int)?
        /// Asks the replicas again (`WAIT` on every master) for a batch acknowledged without them.
        func confirmReplicas() {
            guard let u = unconfirmed else { return }
            guard u.epoch == currentEpoch else {
                unconfirmed = nil
                return
            }
            if (try? sink.replicasHaveEverything()) == true {
                acknowledge(sink.name, through: u.ticket, epoch: u.epoch, replicated: true)
                unconfirmed = nil
            }
        }
        /// Looks at the slot map (reloaded first when `reload`); true when it shows a failover,
        /// after the rewind was decided and the rewound checkpoint stored.
        func failedOver(reload: Bool) -> Bool {
            if reload {
                try? client.refreshSlotMap()
                nextLook = Date().addingTimeInterval(settings.topologyCheckSeconds)
            }
            guard client.slotMap != seen else { return false }
            seen = client.slotMap
            guard case .rewind(let reason) = watch.observe(ClusterRoles(slotMap: seen)),
                let rewind = requestRewind(reason, sink: label)
            else { return false }
            storeRewound(rewind.target, sink: sink)
            return true
        }
        while let items = batch(from: queue, for: sink.name, deadline: nextLook) {
            if Date() >= nextLook {
                if failedOver(reload: true) { continue }
                confirmReplicas()
            }
            guard let last = items.last else { continue }
            switch applyRedis(items, sink, failedOver: failedOver) {
            case .halted: return
            case .dropped: continue
            case .applied(let shortfalls, let checkpoint):
                // Before acknowledging: a batch that reached a promoted replica must not
                // move `replicated` past writes its old master may have lost.
                if failedOver(reload: false) { continue }
                let replicated = sink.settings.waitReplicas > 0 && sink.counters.waitShortfalls == shortfalls
                if sink.settings.waitReplicas > 0 {
                    metrics?.waitShortfalls(sink: label, count: sink.counters.waitShortfalls - shortfalls)
                }
                acknowledge(sink.name, through: last.ticket, epoch: last.epoch, replicated: replicated)
                unconfirmed = replicated || sink.settings.waitReplicas == 0 ? nil : (last.ticket, last.epoch)
                metrics?.batch(sink: label, rows: sink.lastApplyByTable)
                if let checkpoint { metrics?.checkpoint(sink: label, checkpoint) }
            }
        }
        // Drained: one more chance for the replicas to confirm the last batch.
        confirmReplicas()
    }

    /// What applying one batch to the Redis sink came to: applied (with the sink's `WAIT`
    /// shortfalls counted before, and the batch's checkpoint), dropped (a failover or a rewind
    /// made it obsolete), or halted (the pipeline stops).
    private enum RedisBatchOutcome {
        case applied(shortfallsBefore: Int, checkpoint: SinkCheckpoint?)
        case dropped
        case halted
    }

    /// Applies `items` to the Redis sink, retrying after a pause while it fails; a mapping error
    /// or a fenced write halts the pipeline, a failover (`failedOver`) drops the batch.
    private func applyRedis(
        _ items: [Item], _ sink: RedisSink, failedOver: (_ reload: Bool) -> Bool
    ) -> RedisBatchOutcome {
        guard let last = items.last else { return .dropped }
        let changes = items.flatMap(\.transaction.changes)
        let checkpoint = items.last { $0.transaction.checkpoint != nil }?.transaction.checkpoint
        var halted = false
        var loop = retrying(RetryReport("sink \(sink.name): applying a batch of \(items.count) transaction(s)"))
        let outcome = loop.run(
            until: { shouldStop || last.epoch != currentEpoch },
            { () throws -> Int in
                let shortfalls = sink.counters.waitShortfalls
                try sink.apply(changes, checkpoint: checkpoint)
                return shortfalls
            },
            onFailure: { error in
                switch error {
                case let error as MappingError:
                    log(
                        .error,
                        "sink \(sink.name): \(error); stopping (the checkpoint stays before this transaction)")
                    fail(error)
                case let error as RedisError where error.code == .fenced:
                    fenced(error, sink: sink.name)
                default:
                    metrics?.error(.redisApply)
                    return .retry
                }
                halted = true
                return .end
            },
            beforePause: { failedOver(true) ? .end : .retry })
        switch outcome {
        case .done(let shortfalls): return .applied(shortfallsBefore: shortfalls, checkpoint: checkpoint)
        case .stopped where shouldStop: return .halted
        case .ended where halted: return .halted
        case .stopped, .ended: return .dropped
        }
    }

    /// Writes the rewind target as the Redis sink's stored checkpoint (none: removes it), so a
    /// restart before the replay got past it also replays from there. Retried until it succeeds
    /// or the pipeline stops.
    private func storeRewound(_ target: SinkCheckpoint?, sink: RedisSink) {
        let store = sink.checkpoints
        var loop = retrying(RetryReport("sink \(sink.name): storing the rewound checkpoint"))
        _ = loop.run(
            until: { shouldStop },
            {
                if let target { try store.store(target, sink: sink.name) } else { try store.remove(sink: sink.name) }
                if let target { metrics?.checkpoint(sink: "redis.\(sink.name)", target) }
            })
    }

    /// The pipeline's retry loop: a pause of `retryPauseSeconds`, until the pipeline stops.
    private func retrying(_ report: RetryReport) -> Retrying {
        Retrying(pauseSeconds: settings.retryPauseSeconds, report: report, log: { self.log($0, $1) })
    }

    /// A write refused by the fence (guarantee 7): another instance holds the lease. Never
    /// retried; the pipeline stops and the daemon steps down.
    private func fenced(_ error: RedisError, sink: String) {
        metrics?.error(.fenced)
        log(
            .error,
            "sink \(sink): write refused by the fence, another instance holds the lease; stepping down: \(error)")
        fail(error)
    }

    private func runKafka(_ sink: KafkaSink, _ store: CheckpointStore, _ queue: BoundedQueue<Item>) {
        // The producer goes when this thread ends, not whenever the sink object is freed: a stopped
        // daemon leaves no librdkafka threads behind still talking to the broker.
        defer { sink.close() }
        var watermark = settings.watermarkIntervalSeconds.map { KafkaWatermarkClock(interval: $0, start: start) }
        while let items = batch(from: queue, for: sink.name, deadline: watermark?.deadline ?? nil) {
            if let last = items.last {
                guard let checkpoint = deliverKafka(items, sink, store) else { return }
                watermark?.delivered(checkpoint, through: last.ticket)
            }
            // Only here, between batches: every message produced so far has its delivery report.
            if var w = watermark, w.isDue() {
                writeWatermark(sink, &w)
                watermark = w
            }
        }
    }

    /// Delivers one batch, stores its checkpoint and acknowledges it. Returns the checkpoint
    /// stored (`.some(nil)` when the batch ended no transaction); nil when the pipeline stops.
    private func deliverKafka(_ items: [Item], _ sink: KafkaSink, _ store: CheckpointStore) -> SinkCheckpoint?? {
        guard let last = items.last else { return .some(nil) }
        var messages: [KafkaChangeMessage] = []
        var byTable: [String: RedisSink.TableCounts] = [:]
        do {
            for item in items {
                messages += try sink.messages(for: item.transaction)
                for change in item.transaction.changes {
                    byTable[change.qualifiedTable, default: .init()].applied += 1
                }
            }
            try sink.deliver(messages, shouldAbort: { self.shouldStop })
        } catch {
            log(.error, "sink \(sink.name): \(error); stopping")
            fail(error)
            return nil
        }
        let checkpoint = items.last(where: { $0.transaction.checkpoint != nil })?.transaction.checkpoint
        if let checkpoint {
            var loop = retrying(RetryReport("sink \(sink.name): storing its checkpoint"))
            let outcome = loop.run(
                until: { shouldStop }, { try store.store(checkpoint, sink: sink.name) },
                onFailure: { error in
                    if let error = error as? RedisError, error.code == .fenced {
                        fenced(error, sink: sink.name)
                        return .end
                    }
                    metrics?.error(.checkpoint)
                    return .retry
                })
            guard case .done = outcome else { return nil }
        }
        acknowledge(sink.name, through: last.ticket, epoch: last.epoch, replicated: true)
        metrics?.batch(sink: sink.name, rows: byTable)
        if let checkpoint { metrics?.checkpoint(sink: sink.name, checkpoint) }
        return .some(checkpoint)
    }
}

/// A value handed to the one thread that uses it from then on.
struct Owned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
