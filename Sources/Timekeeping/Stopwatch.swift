/// How long since it was started, on the monotonic clock: the duration of a command, a step or
/// a measurement (`let watch = Stopwatch()` ... `watch.seconds`).
package struct Stopwatch: Sendable {
    private let clock: any ServiceClock
    private let started: MonotonicInstant

    package init(clock: any ServiceClock = SystemClock()) {
        self.clock = clock
        started = clock.monotonicNow()
    }

    /// Seconds since the start.
    package var seconds: Double { clock.monotonicNow().seconds(since: started) }
}

/// A moment `seconds` from its creation on the monotonic clock: the end of a wait for a
/// condition (`while !done(), !deadline.hasPassed { ... }`).
package struct Deadline: Sendable {
    private let clock: any ServiceClock
    private let end: MonotonicInstant

    package init(in seconds: Double, clock: any ServiceClock = SystemClock()) {
        self.clock = clock
        end = clock.monotonicNow().advanced(by: seconds)
    }

    package var hasPassed: Bool { clock.monotonicNow() >= end }

    /// Seconds until the end, 0 once it has passed.
    package var secondsLeft: Double { max(0, end.seconds(since: clock.monotonicNow())) }
}
