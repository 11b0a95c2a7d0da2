import Foundation

/// One counter sample (a metric with one set of label values). Keep the handle and call
/// `increment` on the hot path: it takes only this sample's lock.
package final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count: UInt64 = 0

    init() {}

    /// Adds `amount`; a counter never goes down (it wraps only after 2^64).
    package func increment(by amount: UInt64 = 1) {
        lock.lock()
        count &+= amount
        lock.unlock()
    }

    package var value: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// One gauge sample.
package final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double = 0

    init() {}

    package func set(_ value: Double) {
        lock.lock()
        current = value
        lock.unlock()
    }

    package func set<T: BinaryInteger>(_ value: T) { set(Double(value)) }

    package func add(_ delta: Double) {
        lock.lock()
        current += delta
        lock.unlock()
    }

    package var value: Double {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
}

/// One histogram sample: counts per fixed bucket, the sum and the count of observations.
package final class Histogram: @unchecked Sendable {
    /// Finite upper bounds, strictly increasing; the last slot of `counts` is `+Inf`.
    package let bounds: [Double]
    private let lock = NSLock()
    private var counts: [UInt64]
    private var sum: Double = 0

    /// The values a render reads, taken under the lock at once.
    package struct Snapshot: Sendable, Equatable {
        /// Cumulative counts per bound (`le`), the last one for `+Inf` (= `count`).
        package let cumulative: [UInt64]
        package let sum: Double
        package var count: UInt64 { cumulative.last ?? 0 }
    }

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Records one observation. NaN is not a measurement and is not recorded.
    package func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let slot = bucketIndex(value)
        lock.lock()
        counts[slot] &+= 1
        sum += value
        lock.unlock()
    }

    /// Records a duration measured in seconds.
    package func observe(seconds duration: Duration) {
        let parts = duration.components
        observe(Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }

    package var snapshot: Snapshot {
        lock.lock()
        let copy = counts
        let total = sum
        lock.unlock()
        var running: UInt64 = 0
        let cumulative = copy.map { count -> UInt64 in
            running &+= count
            return running
        }
        return Snapshot(cumulative: cumulative, sum: total)
    }

    /// The first bucket whose bound is >= value (binary search); `bounds.count` for `+Inf`.
    private func bucketIndex(_ value: Double) -> Int {
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) / 2
            if bounds[middle] >= value { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
