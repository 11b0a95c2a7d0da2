/// The daemon's stop sequence as a value: signals and progress go in, actions come out, time is
/// passed in (seconds on the monotonic clock: a wall-clock step neither cuts nor stretches the grace). SIGTERM/SIGINT: stop reading, let the sinks finish what is in flight, checkpoint,
/// exit 0, all within `timeoutSeconds`. Past the deadline, or on a second signal, exit 1 at once:
/// the unacknowledged transactions stay behind the checkpoint and are replayed on the next start.
package struct ShutdownMachine: Sendable, Equatable {
    package enum State: Sendable, Equatable {
        case running
        case draining(signal: String, deadline: Double)
        case stopped(exitCode: Int32, reason: String)
    }

    package enum Action: Sendable, Equatable {
        case none
        /// Stop reading the binlog; keep the sinks going until nothing is in flight.
        case stopReading(deadline: Double)
        /// Write the final checkpoint (the sinks are done) and exit with `code`.
        case exit(code: Int32, reason: String)
    }

    package let timeoutSeconds: Double
    package private(set) var state: State = .running

    package init(timeoutSeconds: Double) {
        self.timeoutSeconds = max(timeoutSeconds, 0)
    }

    package var isRunning: Bool { state == .running }

    /// A stop signal (`SIGTERM`, `SIGINT`) arrived at `now`.
    package mutating func signal(_ name: String, now: Double) -> Action {
        switch state {
        case .running:
            let deadline = now + timeoutSeconds
            state = .draining(signal: name, deadline: deadline)
            return .stopReading(deadline: deadline)
        case .draining(let first, _):
            return stop(
                1,
                "second signal \(name) while draining after \(first): exiting without waiting; "
                    + "unacknowledged transactions will be replayed from the checkpoint on the next start")
        case .stopped:
            return .none
        }
    }

    /// Progress report: `inFlight` transactions are not yet acknowledged by every sink.
    package mutating func progress(inFlight: Int, now: Double) -> Action {
        guard case .draining(let name, let deadline) = state else { return .none }
        if inFlight == 0 { return stop(0, "\(name): drained, checkpoint written") }
        if now >= deadline {
            return stop(
                1,
                "\(name): \(inFlight) transaction(s) still unacknowledged after the shutdown timeout of "
                    + "\(timeoutSeconds) s; they stay behind the checkpoint and will be replayed on the next start")
        }
        return .none
    }

    /// The pipeline failed (an error that retrying cannot fix): exit 1 with the reason.
    package mutating func failed(_ reason: String) -> Action {
        if case .stopped = state { return .none }
        return stop(1, reason)
    }

    private mutating func stop(_ code: Int32, _ reason: String) -> Action {
        state = .stopped(exitCode: code, reason: reason)
        return .exit(code: code, reason: reason)
    }
}
