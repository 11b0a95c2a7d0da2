import RedisCluster

/// Percentiles of measured lags, in milliseconds (nearest rank, as `ApplyBenchmark.percentile`).
/// All zero for no samples.
package struct LagSummary: Sendable, Equatable {
    package var count: Int
    package var p50: Double
    package var p99: Double
    package var max: Double

    package init(milliseconds values: [Double]) {
        count = values.count
        p50 = ApplyBenchmark.percentile(values, 0.5)
        p99 = ApplyBenchmark.percentile(values, 0.99)
        max = values.max() ?? 0
    }

    /// `p50 12.3 ms, p99 45.6 ms, max 78.9 ms (n=500)`.
    package var text: String {
        func ms(_ v: Double) -> String { v < 10 ? "\((v * 10).rounded() / 10)" : "\(Int(v.rounded()))" }
        return "p50 \(ms(p50)) ms, p99 \(ms(p99)) ms, max \(ms(max)) ms (n=\(count))"
    }
}

/// The open-loop schedule of a paced workload: transaction `i` (counted from 0) is due
/// `i / rate` seconds after the start, whatever happened to the ones before it, and every
/// `stride`-th transaction is sampled for lag, so samples spread evenly over time.
package struct PacedSchedule: Sendable, Equatable {
    package let rate: Double
    package let stride: Int

    /// `rate` transactions per second; about `samplesPerSecond` of them sampled (all when the
    /// rate is lower).
    package init(rate: Double, samplesPerSecond: Double) {
        self.rate = Swift.max(rate, 0.001)
        stride = Swift.max(1, Int((self.rate / Swift.max(samplesPerSecond, 0.001)).rounded()))
    }

    /// Nanoseconds after the start at which transaction `index` is due.
    package func dueOffsetNanoseconds(_ index: Int) -> UInt64 {
        UInt64((Double(index) * 1e9 / rate).rounded())
    }

    package func isSampled(_ index: Int) -> Bool { index % stride == 0 }

    /// Transactions due in the first `seconds`.
    package func transactions(inSeconds seconds: Double) -> Int { Int((seconds * rate).rounded(.up)) }
}

/// What a paced window achieved: committed transactions over the seconds they took.
package struct RateWindow: Sendable, Equatable {
    package var committed: Int
    package var seconds: Double
    package var rowsPerTransaction: Int

    package init(committed: Int, seconds: Double, rowsPerTransaction: Int) {
        self.committed = committed
        self.seconds = seconds
        self.rowsPerTransaction = rowsPerTransaction
    }

    package var transactionsPerSecond: Double { seconds > 0 ? Double(committed) / seconds : 0 }
    package var rowsPerSecond: Double { transactionsPerSecond * Double(rowsPerTransaction) }

    /// True when the window reached at least `fraction` of `target` transactions per second.
    package func sustains(_ target: Double, fraction: Double = 0.95) -> Bool {
        transactionsPerSecond >= target * fraction
    }
}
