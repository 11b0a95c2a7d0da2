import Foundation
import Ops
import Timekeeping

/// What a retry loop or a hold says to the operator: the first failure at once (or only once
/// failures lasted `firstAfterSeconds`), then one reminder every `repeatSeconds` (sooner when the
/// error changes, unless `repeatOnChange` is off), and one line when an attempt succeeds again
/// with how long it took and how many attempts failed. A Redis outage of a minute is three lines,
/// not one per attempt. Pure: the caller passes the monotonic time of each event.
struct RetryReport {
    let what: String
    let repeatSeconds: Double
    let firstAfterSeconds: Double
    let repeatOnChange: Bool
    private var failures = 0
    private var since: MonotonicInstant?
    private var lastLogged: MonotonicInstant?
    private var lastMessage = ""

    /// `failingSince`: when the trouble began, if before the first failure is counted (a hold
    /// that begins when the wait does).
    init(
        _ what: String, repeatSeconds: Double = 60, firstAfterSeconds: Double = 0, repeatOnChange: Bool = true,
        failingSince: MonotonicInstant? = nil
    ) {
        self.what = what
        since = failingSince
        self.repeatSeconds = repeatSeconds
        self.firstAfterSeconds = firstAfterSeconds
        self.repeatOnChange = repeatOnChange
    }

    /// Counts one failure described by `message`; true when a line is due for it now, false when
    /// it would come too early or only repeat the last one. For holds that word their own lines.
    mutating func due(_ message: String, now: MonotonicInstant) -> Bool {
        failures += 1
        let first = since ?? now
        since = first
        if lastLogged == nil, now.seconds(since: first) < firstAfterSeconds { return false }
        if let lastLogged, message == lastMessage || !repeatOnChange, now.seconds(since: lastLogged) < repeatSeconds {
            return false
        }
        lastLogged = now
        lastMessage = message
        return true
    }

    /// The line to log for this failure, or nil when none is due.
    mutating func failed(_ error: Error, now: MonotonicInstant) -> String? {
        let message = "\(error)"
        guard due(message, now: now), let since else { return nil }
        if failures == 1 { return "\(what): \(message); retrying" }
        return
            "\(what): \(message); still retrying (\(failures) attempts failed over \(Int(now.seconds(since: since))) s)"
    }

    /// Ends a run of failures (the next failure starts a new one): how many attempts failed, for
    /// how long, and whether any line was logged for them; nil when none failed.
    mutating func ended(now: MonotonicInstant) -> (failures: Int, seconds: Double, reported: Bool)? {
        defer {
            failures = 0
            since = nil
            lastLogged = nil
            lastMessage = ""
        }
        guard failures > 0, let since else { return nil }
        return (failures, now.seconds(since: since), lastLogged != nil)
    }

    /// The line to log when an attempt succeeded after failures, or nil when none failed.
    mutating func succeeded(now: MonotonicInstant) -> String? {
        guard let run = ended(now: now) else { return nil }
        let seconds = String(format: "%.1f", run.seconds)
        return "\(what): succeeded again after \(run.failures) failed attempt(s) over \(seconds) s"
    }
}
