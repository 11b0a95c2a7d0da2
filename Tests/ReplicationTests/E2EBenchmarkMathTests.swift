import MySQLSource
import XCTest

@testable import Replication
@testable import SluiceLab

/// The pure parts of `sluice bench e2e`: percentiles, the paced schedule and its sampling, rates,
/// the visibility bookkeeping, and the report's JSON and pass rule.
final class E2EBenchmarkMathTests: XCTestCase {
    func testLagSummaryIsNearestRankAndOrdered() {
        let values = (1...200).map(Double.init).shuffled()
        let s = LagSummary(milliseconds: values)
        XCTAssertEqual(s.count, 200)
        XCTAssertEqual(s.p50, 100)
        XCTAssertEqual(s.p99, 198)
        XCTAssertEqual(s.max, 200)
        let one = LagSummary(milliseconds: [7.5])
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual([one.p50, one.p99, one.max], [7.5, 7.5, 7.5])
        let none = LagSummary(milliseconds: [])
        XCTAssertEqual([Double(none.count), none.p50, none.p99, none.max], [0, 0, 0, 0])
        XCTAssertEqual(LagSummary(milliseconds: [1.24, 3, 250.4]).text, "p50 3.0 ms, p99 250 ms, max 250 ms (n=3)")
    }

    func testScheduleSpreadsTransactionsAndSamplesEvenly() {
        let s = PacedSchedule(rate: 5000, samplesPerSecond: 500)
        XCTAssertEqual(s.stride, 10)
        XCTAssertEqual(s.dueOffsetNanoseconds(0), 0)
        XCTAssertEqual(s.dueOffsetNanoseconds(1), 200_000)
        XCTAssertEqual(s.dueOffsetNanoseconds(5000), 1_000_000_000)
        XCTAssertEqual(s.transactions(inSeconds: 3), 15_000)
        let sampled = (0..<5000).filter(s.isSampled)
        XCTAssertEqual(sampled.count, 500)
        XCTAssertEqual(Set(zip(sampled.dropFirst(), sampled).map { $0 - $1 }), [10], "one every 10th, no bunching")
        // Fewer transactions than samples: every one is sampled.
        let slow = PacedSchedule(rate: 200, samplesPerSecond: 500)
        XCTAssertEqual(slow.stride, 1)
        XCTAssertEqual(slow.transactions(inSeconds: 3), 600)
        XCTAssertEqual(slow.dueOffsetNanoseconds(3), 15_000_000)
    }

    func testRateWindow() {
        let w = RateWindow(committed: 14_400, seconds: 3, rowsPerTransaction: 2)
        XCTAssertEqual(w.transactionsPerSecond, 4800)
        XCTAssertEqual(w.rowsPerSecond, 9600)
        XCTAssertTrue(w.sustains(5000), "4800 is 96% of 5000")
        XCTAssertFalse(w.sustains(5100), "4800 is 94% of 5100")
        XCTAssertEqual(RateWindow(committed: 5, seconds: 0, rowsPerTransaction: 2).transactionsPerSecond, 0)
    }

    func testTrackerCountsATransactionVisibleWhenAllItsKeysReachTheirVersions() {
        var t = VisibilityTracker(timeoutNanoseconds: 5_000_000_000)
        t.add(.init(keys: [.init("account:1", 5), .init("account:2", 3)], committedAt: 1_000_000_000))
        t.add(.init(keys: [.init("account:2", 4)], committedAt: 1_002_000_000))
        t.add(.init(keys: [], committedAt: 0))
        XCTAssertEqual(t.pendingCount, 2, "a sample without keys is ignored")
        XCTAssertEqual(t.keysToRead, ["account:1", "account:2"], "each key read once")

        // account:1 still older, account:2 at 3: nothing complete.
        XCTAssertEqual(t.absorb(["account:1": 4, "account:2": 3], readAt: 1_004_000_000), [])
        XCTAssertEqual(t.keysToRead, ["account:1", "account:2"])
        // account:1 passes its version (a later transaction's): the first sample is visible, 10 ms.
        XCTAssertEqual(t.absorb(["account:1": 6, "account:2": 3], readAt: 1_010_000_000), [10])
        XCTAssertEqual(t.keysToRead, ["account:2"])
        // An absent or unreadable key counts as not visible.
        XCTAssertEqual(t.absorb([:], readAt: 1_011_000_000), [])
        XCTAssertEqual(t.absorb(["account:2": 4], readAt: 1_014_500_000), [12.5])
        XCTAssertEqual(t.pendingCount, 0)
        XCTAssertEqual(t.unseen, 0)
    }

    func testTrackerGivesUpAfterTheTimeout() {
        var t = VisibilityTracker(timeoutNanoseconds: 1_000_000_000)
        t.add(.init(keys: [.init("k", 2)], committedAt: 10))
        XCTAssertEqual(t.absorb(["k": 1], readAt: 1_000_000_010), [], "exactly at the timeout: still waiting")
        XCTAssertEqual(t.pendingCount, 1)
        XCTAssertEqual(t.absorb(["k": 1], readAt: 1_000_000_011), [])
        XCTAssertEqual(t.pendingCount, 0)
        XCTAssertEqual(t.unseen, 1)
    }

    func testStepJSONAndPassRule() throws {
        let settings = E2EBenchmark.Settings()
        var step = E2EBenchmark.Step(
            target: 5000,
            outcome: .init(
                window: RateWindow(committed: 49_000, seconds: 10, rowsPerTransaction: 2), refused: 3, sampled: 4900,
                error: nil),
            lag: LagSummary(milliseconds: [4, 8, 60]), unseen: 0, pollIntervalMilliseconds: 1, connections: 16,
            peakRSSMegabytes: 80.34)
        XCTAssertTrue(step.passes(settings))
        let json = step.json(extra: [("max_sustained_tps", "5000")])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["tps"] as? Double, 4900)
        XCTAssertEqual(object["rows_per_s"] as? Double, 9800)
        XCTAssertEqual(object["lag_p50_ms"] as? Double, 8)
        XCTAssertEqual(object["lag_p99_ms"] as? Double, 60)
        XCTAssertEqual(object["lag_max_ms"] as? Double, 60)
        XCTAssertEqual(object["peak_rss_mb"] as? Double, 80.3)
        XCTAssertEqual(object["poll_interval_ms"] as? Double, 1)
        XCTAssertEqual(object["max_sustained_tps"] as? Int, 5000)

        step.lag = LagSummary(milliseconds: [4, 8, 101])
        XCTAssertFalse(step.passes(settings), "p99 over 100 ms")
        step.lag = LagSummary(milliseconds: [4])
        step.unseen = 1
        XCTAssertFalse(step.passes(settings), "a sample never seen")
        step.unseen = 0
        step.outcome.window.committed = 47_000
        XCTAssertFalse(step.passes(settings), "94% of the target")
        step.outcome.window.committed = 49_000
        step.outcome.error = MySQLError(
            operation: .query, code: 2013, sqlState: "HY000", message: "Lost \"connection\"", context: "COMMIT")
        XCTAssertFalse(step.passes(settings))
        let failed = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(step.json().utf8)) as? [String: Any])
        XCTAssertNotNil(failed["error"] as? String)
    }
}
