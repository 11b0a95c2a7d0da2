/// The bookkeeping of lag measured from outside the daemon, without I/O or clocks: sampled
/// transactions come in with the keys they wrote, the version each key got, and the time their
/// COMMIT returned; each poll round reads the keys' stored versions; a transaction counts as
/// visible in the round where every one of its keys holds its version or a later one, and its
/// lag is that round's read time minus the commit time. `VisibilityWatcher` runs it against Redis.
package struct VisibilityTracker: Sendable, Equatable {
    /// One key a sampled transaction wrote and the version it produced there.
    package struct KeyVersion: Sendable, Equatable, Hashable {
        package var key: String
        package var version: UInt64

        package init(_ key: String, _ version: UInt64) {
            self.key = key
            self.version = version
        }
    }

    /// A sampled transaction: its keys, and when its COMMIT returned (monotonic nanoseconds).
    package struct Sample: Sendable, Equatable {
        package var keys: [KeyVersion]
        package var committedAt: UInt64

        package init(keys: [KeyVersion], committedAt: UInt64) {
            self.keys = keys
            self.committedAt = committedAt
        }
    }

    /// Samples not visible yet, each with the keys still below their version.
    private var pending: [Sample] = []
    /// Samples given up on after `timeoutNanoseconds` (counted, never turned into a lag).
    package private(set) var unseen = 0
    package let timeoutNanoseconds: UInt64

    package init(timeoutNanoseconds: UInt64 = 30_000_000_000) {
        self.timeoutNanoseconds = timeoutNanoseconds
    }

    package var pendingCount: Int { pending.count }

    package mutating func add(_ sample: Sample) {
        guard !sample.keys.isEmpty else { return }
        pending.append(sample)
    }

    /// The keys to read this round (each once, however many samples wait on it).
    package var keysToRead: [String] {
        var seen = Set<String>()
        var keys: [String] = []
        for s in pending {
            for k in s.keys where seen.insert(k.key).inserted { keys.append(k.key) }
        }
        return keys
    }

    /// Takes one round's reads (`stored[key]`: the stored version, nil when absent or unreadable)
    /// made at `readAt`; returns the lags in milliseconds of the samples now fully visible, and
    /// drops the samples older than the timeout.
    package mutating func absorb(_ stored: [String: UInt64], readAt: UInt64) -> [Double] {
        var lags: [Double] = []
        var still: [Sample] = []
        still.reserveCapacity(pending.count)
        for var s in pending {
            s.keys.removeAll { k in stored[k.key].map { $0 >= k.version } ?? false }
            if s.keys.isEmpty {
                lags.append(Double(readAt &- min(s.committedAt, readAt)) / 1e6)
            } else if readAt > s.committedAt, readAt - s.committedAt > timeoutNanoseconds {
                unseen += 1
            } else {
                still.append(s)
            }
        }
        pending = still
        return lags
    }
}
