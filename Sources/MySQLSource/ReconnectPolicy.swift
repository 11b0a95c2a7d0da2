/// Exponential backoff with jitter: the n-th consecutive failure waits
/// `min(maximum, initial * multiplier^(n-1))`, spread by +-`jitter` (a fraction) so that many
/// clients of one restarted server do not reconnect in step. Pure: the random draw is passed in.
package struct Backoff: Sendable, Equatable {
    package var initial: Double
    package var maximum: Double
    package var multiplier: Double
    package var jitter: Double
    /// Failures since the last success.
    package private(set) var failures: Int = 0

    package init(initial: Double = 0.2, maximum: Double = 30, multiplier: Double = 2, jitter: Double = 0.25) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the next attempt after one more failure; `random` is uniform in [0, 1).
    package mutating func nextDelay(random: Double) -> Double {
        failures += 1
        var base = initial
        var step = 1
        while step < failures && base < maximum {
            base *= multiplier
            step += 1
        }
        base = min(base, maximum)
        let spread = base * jitter * (2 * min(max(random, 0), 1) - 1)
        return max(0, min(maximum, base + spread))
    }

    package mutating func reset() { failures = 0 }
}

/// When to connect, wait or give up, as a value: the caller does the I/O and the sleeping, and
/// tells the machine what happened; time (seconds on the monotonic clock, any origin) and
/// randomness are passed in, so tests run without clocks.
///
/// An error that retrying cannot fix (authentication, purged binlog, server_id conflict,
/// decode failures...) stops at once. A retryable one waits with growing delays; the backoff
/// resets only after the stream made progress (handed out a transaction) or stayed up for
/// `stableAfter` seconds, so a server that accepts and drops connections at once is not
/// hammered.
package struct ReconnectStateMachine: Sendable, Equatable {
    package enum State: Sendable, Equatable {
        case idle
        case connecting
        case streaming(since: Double)
        case waiting(until: Double)
        case stopped(SourceError)
    }

    package enum Action: Sendable, Equatable {
        case connect
        case wait(until: Double)
        case stop(SourceError)
    }

    package private(set) var state: State = .idle
    package private(set) var backoff: Backoff
    package let stableAfter: Double
    /// Consecutive retryable failures (for logs and metrics).
    package var consecutiveFailures: Int { backoff.failures }

    package init(backoff: Backoff = Backoff(), stableAfter: Double = 10) {
        self.backoff = backoff
        self.stableAfter = stableAfter
    }

    package mutating func start() -> Action {
        state = .connecting
        return .connect
    }

    package mutating func connected(now: Double) {
        state = .streaming(since: now)
    }

    /// A transaction was handed out: the connection is healthy.
    package mutating func progressed() {
        backoff.reset()
    }

    package mutating func failed(_ error: SourceError, now: Double, random: Double) -> Action {
        if case .stopped(let first) = state { return .stop(first) }
        guard error.isRetryable else {
            state = .stopped(error)
            return .stop(error)
        }
        if case .streaming(let since) = state, now - since >= stableAfter {
            backoff.reset()
        }
        let until = now + backoff.nextDelay(random: random)
        state = .waiting(until: until)
        return .wait(until: until)
    }

    /// Called when the clock reaches a wait's end (or any time later).
    package mutating func timerFired(now: Double) -> Action? {
        guard case .waiting(let until) = state else { return nil }
        guard now >= until else { return .wait(until: until) }
        state = .connecting
        return .connect
    }

    /// The operator (or shutdown) stops the source.
    package mutating func stop(_ reason: SourceError) {
        state = .stopped(reason)
    }
}
