import Foundation

/// What a retry loop says to the operator: the first failure at once, then one reminder every
/// `repeatSeconds` (or sooner when the error changes), and one line when an attempt succeeds again
/// with how long it took and how many attempts failed. A Redis outage of a minute is three lines,
/// not one per attempt.
struct RetryReport {
    let what: String
    let repeatSeconds: Double
    private var failures = 0
    private var since: Date?
    private var lastLogged: Date?
    private var lastMessage = ""

    init(_ what: String, repeatSeconds: Double = 60) {
        self.what = what
        self.repeatSeconds = repeatSeconds
    }

    /// The line to log for this failure, or nil when it would only repeat the last one.
    mutating func failed(_ error: Error, now: Date = Date()) -> String? {
        failures += 1
        let first = since ?? now
        since = first
        let message = "\(error)"
        if let lastLogged, message == lastMessage, now.timeIntervalSince(lastLogged) < repeatSeconds { return nil }
        lastLogged = now
        lastMessage = message
        if failures == 1 { return "\(what): \(message); retrying" }
        return "\(what): \(message); still retrying (\(failures) attempts failed over \(Int(now.timeIntervalSince(first))) s)"
    }

    /// The line to log when an attempt succeeded after failures, or nil when none failed.
    mutating func succeeded(now: Date = Date()) -> String? {
        defer {
            failures = 0
            since = nil
            lastLogged = nil
            lastMessage = ""
        }
        guard failures > 0, let since else { return nil }
        let seconds = String(format: "%.1f", now.timeIntervalSince(since))
        return "\(what): succeeded again after \(failures) failed attempt(s) over \(seconds) s"
    }
}
