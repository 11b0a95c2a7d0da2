import Foundation
import MySQLSource
import Timekeeping

/// The source read on its own thread, so the daemon's loop never waits inside the source (a
/// frozen server blocks a read for the whole read timeout, a reconnect for the connect timeout
/// and the backoff): the loop takes transactions with a deadline and keeps its status, metrics
/// and readiness going from the last `State` the reader published.
///
/// - Transactions come out in source order, each with the source's checkpoint and position right
///   after it was read (the loop's view of "where the source is", whatever the reader read ahead).
/// - A fatal source error ends the reader; `take` then returns nil and `error` holds it.
/// - `stop()` ends the reader at its next return from the source; nothing it reads after that
///   is handed out (a rewind starts a new pump on a new source).
final class SourcePump: @unchecked Sendable {
    struct Item {
        var transaction: SourceTransaction
        var checkpoint: SourceCheckpoint?
        var position: SourceCheckpoint?
        /// The server the transaction was read from, as checkpoints record it (guarantee 8).
        var source: SourceIdentity?
    }

    /// What the reader last saw, for the loop's status, metrics and silence watch.
    struct State {
        var serverID: UInt32?
        var sourceIdentity: SourceIdentity?
        var lagTracker = LagTracker()
        var bytesBehind: UInt64?
        var eventCounts: [UInt8: Int] = [:]
        /// Retryable failures so far (each a lost or refused connection).
        var failures = 0
        var lastFailure: SourceError?
        /// The source's position and checkpoint before the reader handed anything out.
        var initialPosition: SourceCheckpoint?
        var initialCheckpoint: SourceCheckpoint?
        var handedOut = 0
        /// Since when (the monotonic clock) the reader has been waiting for the server (the last
        /// event, the last connection, or the moment the reader found room again after the queue
        /// was full).
        var waitingSince: MonotonicInstant
        /// The reader waits for room in the queue (the loop is held by a sink), not for the server.
        var pushing = false
    }

    private let lock = NSLock()
    private let queue: BoundedQueue<Item>
    private var published: State
    private var fatal: SourceError?
    private var stopped = false
    private let clock: any ServiceClock

    /// Starts reading `source` on a new thread; `bytesEverySeconds`: how often the bytes behind
    /// are measured (a query on another connection).
    /// `capacity` is small: a transaction may be a chunk of 10,000 rows, and the sinks' own
    /// queues are where transactions wait.
    init(_ source: BinlogSource, capacity: Int = 4, bytesEverySeconds: Double = 5, clock: any ServiceClock) {
        queue = BoundedQueue(capacity: capacity)
        self.clock = clock
        published = State(waitingSince: clock.monotonicNow())
        let owned = Owned(source)
        let thread = Thread { [self] in read(owned.value, bytesEvery: bytesEverySeconds) }
        thread.name = "sluice-source"
        thread.start()
    }

    /// The next transaction, waiting until `deadline`; nil when none came (or the reader ended).
    func take(until deadline: Date) -> Item? { queue.pop(deadline: deadline) }

    var state: State { locked { published } }
    /// The error that ended the reader, once it did.
    var error: SourceError? { locked { fatal } }

    func stop() {
        locked { stopped = true }
        queue.close()
    }

    private func read(_ source: BinlogSource, bytesEvery: Double) {
        var nextBytes = clock.monotonicNow()
        while !locked({ stopped }) {
            do {
                let transaction = try source.poll(for: 0.25)
                let now = clock.monotonicNow()
                let measure = now >= nextBytes
                if measure { nextBytes = now.advanced(by: bytesEvery) }
                let bytes = measure ? source.lag(measureBytes: true).bytesBehind : nil
                publish(source, bytes: bytes, handingOut: transaction != nil)
                guard let transaction else { continue }
                let item = Item(
                    transaction: transaction, checkpoint: source.checkpoint, position: source.position,
                    source: source.sourceIdentity)
                locked { published.pushing = true }
                let pushed = queue.push(item)
                let resumed = clock.monotonicNow()
                locked {
                    published.pushing = false
                    published.waitingSince = max(published.waitingSince, resumed)
                }
                if !pushed { return }
            } catch {
                locked { fatal = error }
                queue.close()
                return
            }
        }
    }

    private func publish(_ source: BinlogSource, bytes: UInt64?, handingOut: Bool) {
        locked {
            published.serverID = source.serverID
            published.sourceIdentity = source.sourceIdentity
            published.lagTracker = source.lagTracker
            if let bytes { published.bytesBehind = bytes }
            published.eventCounts = source.eventCounts
            published.failures = source.failures.count
            published.lastFailure = source.failures.last
            if published.handedOut == 0 && !handingOut {
                published.initialPosition = source.position
                published.initialCheckpoint = source.checkpoint
            }
            if handingOut { published.handedOut += 1 }
            if let heard = source.lastHeardAt { published.waitingSince = max(published.waitingSince, heard) }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// Says once when a dependency stops answering and once when it is back. Pure: the caller
/// measures how long the dependency has been silent (`now`: seconds on the monotonic clock).
///
/// - Silent for `timeout` seconds or more while answering: `.silent` (once per outage).
/// - Answering again (silent for less than `timeout`) after a `.silent`: `.back` with the outage
///   length, from the start of the silence to now.
struct SilenceWatch: Sendable, Equatable {
    enum Change: Sendable, Equatable {
        case silent(seconds: Double)
        case back(afterSeconds: Double)
    }

    let timeout: Double
    private(set) var silentSince: Double?

    init(timeout: Double) { self.timeout = timeout }

    mutating func observe(silentFor seconds: Double, now: Double) -> Change? {
        if seconds >= timeout {
            guard silentSince == nil else { return nil }
            silentSince = now - seconds
            return .silent(seconds: seconds)
        }
        guard let since = silentSince else { return nil }
        silentSince = nil
        return .back(afterSeconds: max(0, now - since))
    }
}
