import Dispatch
import Foundation
import RedisCluster
import Timekeeping

/// Replication lag measured from outside the daemon, by reading Redis the way a reader of the
/// cache would: a thread polls, every `pollInterval`, the stored versions (`StoredVersion`: the
/// hash's `sluice:v` field, else the version key) of the sampled transactions' keys still
/// waiting, in one pipelined round over the cluster, and records for
/// each transaction the time from its COMMIT returning to the read that found every one of its
/// keys at its version or later (`VisibilityTracker`). The read time is taken when the round's
/// replies are in, so a lag is never under-stated; it may be over-stated by up to one poll
/// interval plus one round trip.
package final class VisibilityWatcher: @unchecked Sendable {
    package let pollInterval: Double
    private let client: RedisClusterClient
    private let lock = NSLock()
    private var inbox: [VisibilityTracker.Sample] = []
    private var tracker: VisibilityTracker
    private var all: [Double] = []
    private var fresh: [Double] = []
    private var readErrors = 0
    private var lastReadError: String?
    private var stopAfter: UInt64?
    private let finished = DispatchSemaphore(value: 0)

    /// `client` belongs to the watcher's thread from now on. Samples not visible after
    /// `timeoutSeconds` count as unseen.
    package init(client: RedisClusterClient, pollInterval: Double = 0.001, timeoutSeconds: Double = 30) {
        self.client = client
        self.pollInterval = max(pollInterval, 0.0001)
        tracker = VisibilityTracker(timeoutNanoseconds: UInt64(max(timeoutSeconds, 0) * 1e9))
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "sluice-visibility-watcher"
        thread.start()
    }

    /// Monotonic nanoseconds: the clock of `Sample.committedAt`.
    package static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    package func watch(_ sample: VisibilityTracker.Sample) {
        lock.lock()
        inbox.append(sample)
        lock.unlock()
    }

    /// Lags (ms) measured since the previous call.
    package func takeFresh() -> [Double] {
        lock.lock()
        defer { lock.unlock() }
        let taken = fresh
        fresh = []
        return taken
    }

    /// Every lag (ms) measured so far; `reset` starts a new window.
    package func lags(reset: Bool = false) -> [Double] {
        lock.lock()
        defer { lock.unlock() }
        let taken = all
        if reset {
            all = []
            fresh = []
        }
        return taken
    }

    /// Samples waiting (queued or polled), samples given up on, and failed poll rounds.
    package var counts: (pending: Int, unseen: Int, readErrors: Int, lastReadError: String?) {
        lock.lock()
        defer { lock.unlock() }
        return (tracker.pendingCount + inbox.count, tracker.unseen, readErrors, lastReadError)
    }

    /// Waits up to `timeoutSeconds` for the samples given so far to become visible (or unseen).
    /// Returns true when none is left waiting.
    @discardableResult
    package func settle(timeoutSeconds: Double) -> Bool {
        let deadline = Deadline(in: timeoutSeconds)
        while counts.pending > 0 {
            if deadline.hasPassed { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }

    /// Stops polling once the waiting samples are settled or `timeoutSeconds` passed; returns
    /// when the thread ended.
    package func stop(timeoutSeconds: Double = 0) {
        lock.lock()
        stopAfter = Self.now() + UInt64(max(timeoutSeconds, 0) * 1e9)
        lock.unlock()
        finished.wait()
    }

    private func loop() {
        let interval = UInt64(pollInterval * 1e9)
        while true {
            let tick = Self.now()
            lock.lock()
            for s in inbox { tracker.add(s) }
            inbox = []
            let waiting = tracker.pendingCount
            let done = stopAfter.map { waiting == 0 || tick >= $0 } ?? false
            let keys = tracker.keysToRead
            lock.unlock()
            if done { return }
            if !keys.isEmpty { poll(keys) }
            let elapsed = Self.now() &- tick
            if elapsed < interval { Thread.sleep(forTimeInterval: Double(interval - elapsed) / 1e9) }
        }
    }

    private func poll(_ keys: [String]) {
        var stored: [String: UInt64] = [:]
        var failure: String?
        do {
            let versions = try StoredVersion.read(client, keys: keys.map { Array($0.utf8) })
            for (key, version) in zip(keys, versions) {
                if let v = version.flatMap({ UInt64($0) }) { stored[key] = v }
            }
        } catch {
            failure = "\(error)"
        }
        let readAt = Self.now()
        lock.lock()
        if let failure {
            readErrors += 1
            lastReadError = failure
        }
        let lags = tracker.absorb(stored, readAt: readAt)
        all += lags
        fresh += lags
        lock.unlock()
    }
}
