/// Bounded exponential backoff for TRYAGAIN, CLUSTERDOWN and reconnects. Pure: it returns the
/// delay for an attempt and the caller sleeps, so tests check the schedule without a clock.
package struct RetryPolicy: Sendable, Equatable {
    /// Attempts after the first try; past this the caller gives up with `retriesExhausted`.
    package var maxAttempts: Int
    /// Delay before the first retry, in seconds; doubled each time up to `maxDelay`.
    package var initialDelay: Double
    package var maxDelay: Double

    package init(maxAttempts: Int = 24, initialDelay: Double = 0.005, maxDelay: Double = 0.5) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// Delay before retry number `attempt` (1-based), or nil when the budget is spent.
    package func delay(forAttempt attempt: Int) -> Double? {
        guard attempt >= 1, attempt <= maxAttempts else { return nil }
        var d = initialDelay
        var i = 1
        while i < attempt && d < maxDelay {
            d *= 2
            i += 1
        }
        return min(d, maxDelay)
    }

    /// Sum of all delays: the longest a caller waits before giving up (excluding command time).
    package var totalBudget: Double {
        (1...max(maxAttempts, 1)).reduce(0) { $0 + (delay(forAttempt: $1) ?? 0) }
    }
}
