import Foundation
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
        let start = Date(timeIntervalSince1970: 1_000)
        var lines: [String] = []
        for attempt in 0..<400 {
            let now = start.addingTimeInterval(Double(attempt) * 0.2)
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
        let changed = report.failed(Failure(description: "CLUSTERDOWN"), now: start.addingTimeInterval(80.5))
        XCTAssertEqual(
            changed,
            "sink primary: applying a batch of 3 transaction(s): CLUSTERDOWN; still retrying (401 attempts failed over 80 s)")
        XCTAssertEqual(
            report.succeeded(now: start.addingTimeInterval(81.25)),
            "sink primary: applying a batch of 3 transaction(s): succeeded again after 401 failed attempt(s) over 81.2 s")
        XCTAssertNil(report.succeeded(), "nothing to say when no attempt failed")
        XCTAssertEqual(
            report.failed(Failure(description: "x"), now: start.addingTimeInterval(100)),
            "sink primary: applying a batch of 3 transaction(s): x; retrying", "a new outage starts over")
    }
}
