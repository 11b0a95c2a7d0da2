import Foundation
import Ops
import Timekeeping
import XCTest

@testable import Replication

/// A sink retrying every 0.2 s through a Redis outage logs the first failure, a reminder a minute,
/// a line when the error changes, and one line when it works again.
final class RetryReportTests: XCTestCase {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func testAMinuteOfFailuresIsThreeLinesNotThreeHundred() {
        var report = RetryReport("sink primary: applying a batch of 3 transaction(s)", repeatSeconds: 60)
        let start = MonotonicInstant(seconds: 1_000)
        var lines: [String] = []
        for attempt in 0..<400 {
            let now = start.advanced(by: Double(attempt) * 0.2)
            if let line = report.failed(Failure(description: "connection refused (127.0.0.1:7001)"), now: now) {
                lines.append(line)
            }
        }
        XCTAssertEqual(
            lines,
            [
                "sink primary: applying a batch of 3 transaction(s): connection refused (127.0.0.1:7001); retrying",
                "sink primary: applying a batch of 3 transaction(s): connection refused (127.0.0.1:7001); still retrying (301 attempts failed over 60 s)",
            ])
        let changed = report.failed(Failure(description: "CLUSTERDOWN"), now: start.advanced(by: 80.5))
        XCTAssertEqual(
            changed,
            "sink primary: applying a batch of 3 transaction(s): CLUSTERDOWN; still retrying (401 attempts failed over 80 s)"
        )
        XCTAssertEqual(
            report.succeeded(now: start.advanced(by: 81.25)),
            "sink primary: applying a batch of 3 transaction(s): succeeded again after 401 failed attempt(s) over 81.2 s"
        )
        XCTAssertNil(report.succeeded(now: start.advanced(by: 90)), "nothing to say when no attempt failed")
        XCTAssertEqual(
            report.failed(Failure(description: "x"), now: start.advanced(by: 100)),
            "sink primary: applying a batch of 3 transaction(s): x; retrying", "a new outage starts over")
    }

    /// The Kafka sink's delivery hold: nothing for the first `holdLogSeconds` (5 s) after the wait
    /// began, then a line every `holdRepeatSeconds` (60 s) whatever the text, and the recovery
    /// counted from when the wait began, only when a hold line was logged.
    func testAHoldSaysNothingAtFirstThenOnceAMinuteAndItsRecoveryOnlyWhenItSpoke() {
        let start = MonotonicInstant(seconds: 50)
        var hold = RetryReport(
            "Kafka: holding", repeatSeconds: 60, firstAfterSeconds: 5, repeatOnChange: false, failingSince: start)
        let polls = (1...1_300).map { start.advanced(by: Double($0) * 0.1) }
        let due = polls.filter { hold.due("\($0.seconds)", now: $0) }.map { $0.seconds(since: start) }
        XCTAssertEqual(due.map { Int($0.rounded()) }, [5, 65, 125])
        let held = hold.ended(now: start.advanced(by: 130.4))
        XCTAssertEqual(held?.reported, true)
        XCTAssertEqual(held.map { Int($0.seconds) }, 130)

        var quick = RetryReport("Kafka: holding", firstAfterSeconds: 5, repeatOnChange: false, failingSince: start)
        XCTAssertFalse(quick.due("", now: start.advanced(by: 0.1)))
        XCTAssertEqual(quick.ended(now: start.advanced(by: 0.2))?.reported, false, "a short wait is no hold")
        XCTAssertNil(quick.ended(now: start.advanced(by: 0.3)), "nothing failed since")
    }
}
