import Foundation
import RedisCluster

/// A committed transaction, or one chunk of a big one, as the sinks receive it.
public struct PipelineTransaction: Sendable, Equatable {
    public var changes: [RowChange]
    public var origin: KafkaChangeMessage.Origin
    /// Where to resume after this transaction; nil for a chunk that is not its transaction's last.
    public var checkpoint: SinkCheckpoint?

    public init(changes: [RowChange], origin: KafkaChangeMessage.Origin, checkpoint: SinkCheckpoint?) {
        self.changes = changes
        self.origin = origin
        self.checkpoint = checkpoint
    }
}

/// The sink half of the daemon: filtered transactions go to the primary Redis sink and the Kafka
/// sink, each on its own thread behind its own bounded queue, so the sinks work concurrently and
/// a slow one makes `submit` wait (back-pressure reaches the source). Each sink takes whatever
/// its queue holds as one batch, applies it, writes its own checkpoint (the Kafka sink's lives in
/// the primary cluster), then acknowledges to the `CheckpointCoordinator`. A sink error that
/// retrying may fix (Redis unreachable, a failover in progress) is retried after a pause, never
/// skipped; a mapping error of a halting table stops the pipeline with that error.
package final class SinkPipeline: @unchecked Sendable {
    package struct Settings: Sendable {
        package var queueCapacity: Int
        /// Transactions a sink takes from its queue at most per batch.
        package var batchTransactions: Int
        package var retryPauseSeconds: Double

        package init(queueCapacity: Int = 1024, batchTransactions: Int = 256, retryPauseSeconds: Double = 0.2) {
            self.queueCapacity = queueCapacity
            self.batchTransactions = batchTransactions
            self.retryPauseSeconds = retryPauseSeconds
        }
    }

    private typealias Item = (ticket: CheckpointCoordinator.Ticket, transaction: PipelineTransaction)

    private let filter: TableFilter
    private let settings: Settings
    private let log: (String) -> Void
    private let lock = NSLock()
    private var coordinator: CheckpointCoordinator
    private var failure: Error?
    private var stopping = false
    private var queues: [BoundedQueue<Item>] = []
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    /// `redis`: the primary cluster's sink; `kafka`: nil when `[kafka] enabled = false`, else with
    /// the store its checkpoint goes to (the primary cluster, over a client of its own). `start`
    /// is the checkpoint reading resumes from. The sinks belong to the pipeline's threads from now on.
    package init(
        redis: RedisSink, kafka: (sink: KafkaSink, checkpoints: CheckpointStore)?, filter: TableFilter,
        start: SinkCheckpoint?,
        settings: Settings = Settings(), log: @escaping (String) -> Void
    ) {
        self.filter = filter
        self.settings = settings
        self.log = log
        var sinks = [CheckpointCoordinator.Sink(redis.name, requiresReplicas: redis.settings.waitReplicas > 0)]
        if let kafka { sinks.append(CheckpointCoordinator.Sink(kafka.sink.name)) }
        coordinator = CheckpointCoordinator(sinks: sinks, start: start)
        let redisQueue = BoundedQueue<Item>(capacity: settings.queueCapacity)
        queues.append(redisQueue)
        let ownedRedis = Owned(redis)
        spawn("sluice-sink-\(redis.name)") { [self] in runRedis(ownedRedis.value, redisQueue) }
        if let kafka {
            let kafkaQueue = BoundedQueue<Item>(capacity: settings.queueCapacity)
            queues.append(kafkaQueue)
            let owned = Owned(kafka)
            spawn("sluice-sink-\(kafka.sink.name)") { [self] in
                runKafka(owned.value.sink, owned.value.checkpoints, kafkaQueue)
            }
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
        if failure != nil || stopping {
            lock.unlock()
            return false
        }
        let ticket = coordinator.dispatch(checkpoint: t.checkpoint)
        lock.unlock()
        for q in queues where !q.push((ticket, t)) { return false }
        return true
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
    /// The error that stopped the pipeline, if one did.
    package var error: Error? { locked { failure } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    private var shouldStop: Bool { locked { failure != nil } }

    private func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
        for q in queues { q.close() }
    }

    private func acknowledge(_ sink: String, through ticket: CheckpointCoordinator.Ticket, replicated: Bool) {
        lock.lock()
        defer { lock.unlock() }
        do {
            try coordinator.acknowledge(sink: sink, through: ticket, replicated: replicated)
        } catch {
            if failure == nil { failure = error }
        }
    }

    /// Up to `batchTransactions` items: waits for the first, takes the rest only if already queued.
    private func batch(from queue: BoundedQueue<Item>) -> [Item]? {
        guard let first = queue.pop() else { return nil }
        var items = [first]
        while items.count < settings.batchTransactions, let more = queue.pop(deadline: Date()) { items.append(more) }
        return items
    }

    private func runRedis(_ sink: RedisSink, _ queue: BoundedQueue<Item>) {
        while let items = batch(from: queue) {
            let changes = items.flatMap(\.transaction.changes)
            let checkpoint = items.last { $0.transaction.checkpoint != nil }?.transaction.checkpoint
            while true {
                if shouldStop { return }
                let shortfalls = sink.counters.waitShortfalls
                do {
                    try sink.apply(changes, checkpoint: checkpoint)
                    let replicated = sink.settings.waitReplicas > 0 && sink.counters.waitShortfalls == shortfalls
                    acknowledge(sink.name, through: items[items.count - 1].ticket, replicated: replicated)
                    break
                } catch let error as MappingError {
                    log("sink \(sink.name): \(error); stopping (the checkpoint stays before this transaction)")
                    fail(error)
                    return
                } catch {
                    log("sink \(sink.name): \(error); retrying the batch of \(items.count) transaction(s)")
                    Thread.sleep(forTimeInterval: settings.retryPauseSeconds)
                }
            }
        }
    }

    private func runKafka(_ sink: KafkaSink, _ store: CheckpointStore, _ queue: BoundedQueue<Item>) {
        // The producer goes when this thread ends, not whenever the sink object is freed: a stopped
        // daemon leaves no librdkafka threads behind still talking to the broker.
        defer { sink.close() }
        while let items = batch(from: queue) {
            var messages: [KafkaChangeMessage] = []
            do {
                for item in items {
                    messages += try sink.messages(for: item.transaction.changes, origin: item.transaction.origin)
                }
                try sink.deliver(messages, shouldAbort: { self.shouldStop })
            } catch {
                log("sink \(sink.name): \(error); stopping")
                fail(error)
                return
            }
            if let checkpoint = items.last(where: { $0.transaction.checkpoint != nil })?.transaction.checkpoint {
                while true {
                    if shouldStop { return }
                    do {
                        try store.store(checkpoint, sink: sink.name)
                        break
                    } catch {
                        log("sink \(sink.name): storing its checkpoint failed: \(error); retrying")
                        Thread.sleep(forTimeInterval: settings.retryPauseSeconds)
                    }
                }
            }
            acknowledge(sink.name, through: items[items.count - 1].ticket, replicated: true)
        }
    }
}

/// A value handed to the one thread that uses it from then on.
private struct Owned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
