import Foundation
import Ops
import Timekeeping

/// What `/readyz` and the watchdog of `sluice run` read while the daemon's loop runs: the lag it
/// last measured and whether it stopped.
///
/// - The readiness lag is the larger of the source lag (how far the last event read is behind the
///   source) and the longest time a sink has held its current batch unacknowledged: a sink that
///   stopped answering makes the daemon unready even while the source is read on time.
/// - Before the first measurement (connecting, nothing read yet) it is not ready; once the loop
///   stops (halted on an error, a stop signal, a failed start) it is not ready, with the reason.
/// - Healthy while the loop reports at least every `stallSeconds` (on the monotonic clock: a
///   wall-clock step neither fails nor hides a stall) and has not stopped.
package final class DaemonReadiness: @unchecked Sendable {
    private let lock = NSLock()
    private var lag: Double?
    private var stopped: String?
    private var standbyText: String?
    private var lastReport: MonotonicInstant
    private let stallSeconds: Double
    private let clock: any ServiceClock

    package init(clock: any ServiceClock = SystemClock(), stallSeconds: Double = 30) {
        self.clock = clock
        lastReport = clock.monotonicNow()
        self.stallSeconds = stallSeconds
    }

    /// The readiness lag from a status period's measurements; `sourceLag` nil while no event was read.
    package static func lag(source sourceLag: Double?, sinksHeld: [Double]) -> Double? {
        sourceLag.map { max($0, sinksHeld.max() ?? 0) }
    }

    /// Under `[ha]`, waiting for the lease: not ready (with `text`), and healthy while it reports.
    package func standby(_ text: String) {
        let now = clock.monotonicNow()
        locked {
            standbyText = text
            lastReport = now
        }
    }

    package func update(lag: Double?) {
        let now = clock.monotonicNow()
        locked {
            standbyText = nil
            self.lag = lag
            lastReport = now
        }
    }

    /// The loop stopped or is stopping: `reason` says why (`halted: ...`, `SIGTERM: draining`).
    package func stop(_ reason: String) {
        locked { if stopped == nil { stopped = reason } }
    }

    package var readiness: Readiness {
        locked {
            if let stopped { return .notReady(stopped) }
            if let standbyText { return .notReady(standbyText) }
            guard let lag else { return .notReady("no event read from the source yet") }
            return .lagging(seconds: lag)
        }
    }

    package func healthy() -> Bool {
        let now = clock.monotonicNow()
        return locked { stopped == nil && now.seconds(since: lastReport) < stallSeconds }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
