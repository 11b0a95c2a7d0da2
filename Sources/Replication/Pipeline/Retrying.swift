import Foundation
import Ops
import Timekeeping

/// "Retry until it works or we are asked to stop", written once: an attempt, a fixed pause
/// between attempts, a stop check, and the operator's report of the failures (`RetryReport`:
/// the first failure at once, then a reminder, one line on recovery). The pause and the clock
/// are injected, so the loop is tested without servers and without waiting.
struct Retrying {
    /// When the stop check runs: before every attempt (the first one included), or only after a
    /// failed attempt, before its pause (the first attempt always runs: a drain still applies the
    /// batch in hand).
    enum StopCheck { case beforeEachAttempt, beforeEachPause }

    /// What a failed attempt leads to.
    enum Next { case retry, end }

    enum Outcome<Value> {
        case done(Value)
        /// The stop check answered true.
        case stopped
        /// `onFailure` or `beforePause` ended the loop.
        case ended
    }

    var pauseSeconds: Double
    var stopCheck: StopCheck = .beforeEachAttempt
    var sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    /// Its monotonic reading times the report.
    var clock: any ServiceClock = SystemClock()
    /// The throttled report of retried failures (nil: the caller reports in `onFailure`), and
    /// where its lines go: warnings for failures, a notice for the recovery.
    var report: RetryReport?
    var log: (LogLevel, String) -> Void = { _, _ in }

    /// Runs `attempt` until it succeeds, `shouldStop` answers true or the loop ends. After a failure: `onFailure` decides
    /// (and counts or logs what it must), the report logs a retried failure, `beforePause` may
    /// still end the loop, then the pause and `afterPause` (a reload before the next attempt).
    mutating func run<Value>(
        until shouldStop: () -> Bool, _ attempt: () throws -> Value, onFailure: (Error) -> Next = { _ in .retry },
        beforePause: () -> Next = { .retry }, afterPause: () -> Void = {}
    ) -> Outcome<Value> {
        while true {
            if stopCheck == .beforeEachAttempt, shouldStop() { return .stopped }
            do {
                let value = try attempt()
                if let line = report?.succeeded(now: clock.monotonicNow()) { log(.notice, line) }
                return .done(value)
            } catch {
                guard onFailure(error) == .retry else { return .ended }
                if let line = report?.failed(error, now: clock.monotonicNow()) { log(.warning, line) }
                guard beforePause() == .retry else { return .ended }
            }
            if stopCheck == .beforeEachPause, shouldStop() { return .stopped }
            sleep(pauseSeconds)
            afterPause()
        }
    }
}
