import Dispatch
import Foundation

/// A reading of the monotonic clock: seconds from an arbitrary origin (the boot for
/// `SystemClock`), moving at a steady rate and never stepped by NTP or an operator. For timeouts,
/// pauses and how long something took; never shown as a time of day.
package struct MonotonicInstant: Sendable, Hashable, Comparable {
    package let seconds: Double

    package init(seconds: Double) { self.seconds = seconds }

    package func advanced(by seconds: Double) -> MonotonicInstant { MonotonicInstant(seconds: self.seconds + seconds) }

    /// Seconds from `earlier` to this instant (negative when `earlier` is the later one).
    package func seconds(since earlier: MonotonicInstant) -> Double { seconds - earlier.seconds }

    package static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.seconds < rhs.seconds }
}

/// Time, the two ways sluice reads it, injected wherever time is read so tests move it instead of
/// waiting. The monotonic reading is for timeouts, pauses, holds and durations (a wall-clock step
/// must neither end a hold early nor fake a stall); the wall reading is for what is compared with
/// other machines' times: commit times, lag against the source's event timestamps, `processed_ms`,
/// time stamps shown to people.
package protocol ServiceClock: Sendable {
    func monotonicNow() -> MonotonicInstant
    func wallNow() -> Date
}

extension ServiceClock {
    /// The wall-clock date at which `deadline` comes, for waits whose API takes a `Date`
    /// (`NSCondition.wait(until:)`).
    package func wallDate(at deadline: MonotonicInstant) -> Date {
        wallNow().addingTimeInterval(deadline.seconds(since: monotonicNow()))
    }
}

/// The process's clocks: `CLOCK_MONOTONIC` (through `DispatchTime`) and `Date()`.
package struct SystemClock: ServiceClock {
    package init() {}

    package func monotonicNow() -> MonotonicInstant {
        MonotonicInstant(seconds: Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000)
    }

    package func wallNow() -> Date { Date() }
}

/// A clock that moves only when told (both readings together): tests of timeouts, holds and
/// retry reports run without waiting. Thread-safe.
package final class ManualClock: ServiceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var monotonic: Double
    private var wall: Date

    package init(monotonicSeconds: Double = 1_000, wall: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        monotonic = monotonicSeconds
        self.wall = wall
    }

    package func monotonicNow() -> MonotonicInstant {
        lock.lock()
        defer { lock.unlock() }
        return MonotonicInstant(seconds: monotonic)
    }

    package func wallNow() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return wall
    }

    /// Time passes: both readings move on by `seconds`.
    package func advance(by seconds: Double) {
        lock.lock()
        monotonic += seconds
        wall.addTimeInterval(seconds)
        lock.unlock()
    }

    /// The wall clock is stepped (NTP, an operator, a VM resumed) by `seconds`, either way; the
    /// monotonic reading does not move.
    package func stepWall(by seconds: Double) {
        lock.lock()
        wall.addTimeInterval(seconds)
        lock.unlock()
    }
}
