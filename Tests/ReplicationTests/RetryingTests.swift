import Foundation
import Ops
import Timekeeping
import XCTest

@testable import Replication

/// The one retry loop, without servers: a fake pause moves a fake clock, the attempt fails a
/// given number of times, and the lines the operator would read are collected.
final class RetryingTests: XCTestCase {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A retry loop whose pauses advance `clock` instead of waiting, logging into `lines`.
    final class Harness {
        let clock = ManualClock()
        var pauses: [Double] = []
        var lines: [String] = []
        var attempts = 0

        /// An attempt that counts itself and always fails with `message`.
        func failing(_ message: String) -> () throws -> Int {
            { [self] in
                attempts += 1
                throw Failure(description: message)
            }
        }

        func loop(_ stopCheck: Retrying.StopCheck = .beforeEachAttempt, repeatSeconds: Double = 60) -> Retrying {
            Retrying(
                pauseSeconds: 0.2, stopCheck: stopCheck,
                sleep: { [self] in
                    pauses.append($0)
                    clock.advance(by: $0)
                }, clock: clock,
                report: RetryReport("sink primary: storing its checkpoint", repeatSeconds: repeatSeconds),
                log: { [self] in lines.append("\($0) \($1)") })
        }
    }

    func testFailuresThenSuccessRetryAfterAPauseAndLogFirstReminderAndRecovery() {
        let h = Harness()
        var loop = h.loop(repeatSeconds: 1)
        var attempts = 0
        let outcome = loop.run(
            until: { false },
            { () throws -> String in
                attempts += 1
                if attempts <= 10 { throw Failure(description: "connection refused") }
                return "stored"
            })
        guard case .done(let value) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(value, "stored")
        XCTAssertEqual(attempts, 11)
        XCTAssertEqual(h.pauses, Array(repeating: 0.2, count: 10))
        XCTAssertEqual(
            h.lines,
            [
                "warning sink primary: storing its checkpoint: connection refused; retrying",
                "warning sink primary: storing its checkpoint: connection refused; still retrying (6 attempts failed over 1 s)",
                "notice sink primary: storing its checkpoint: succeeded again after 10 failed attempt(s) over 2.0 s",
            ])
    }

    func testASuccessAtOnceLogsNothingAndNeverPauses() {
        let h = Harness()
        var loop = h.loop()
        let outcome = loop.run(until: { false }, { 7 })
        guard case .done(7) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(h.lines, [])
        XCTAssertEqual(h.pauses, [])
    }

    func testAStopBeforeEachAttemptEndsTheLoopWithoutAnotherAttempt() {
        let h = Harness()
        var loop = h.loop(.beforeEachAttempt)
        let outcome = loop.run(until: { h.attempts == 3 }, h.failing("CLUSTERDOWN"))
        guard case .stopped = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(h.attempts, 3)
        XCTAssertEqual(h.pauses.count, 3, "the pause after the third failure, then the stop check")
        XCTAssertEqual(h.lines, ["warning sink primary: storing its checkpoint: CLUSTERDOWN; retrying"])

        var never = h.loop(.beforeEachAttempt)
        guard case .stopped = never.run(until: { true }, { XCTFail("attempted while stopping") }) else {
            return XCTFail("a stop asked before the first attempt")
        }
    }

    func testAStopBeforeEachPauseStillMakesTheFirstAttemptAndEndsBeforeTheNextPause() {
        let h = Harness()
        var loop = h.loop(.beforeEachPause)
        let outcome = loop.run(until: { true }, h.failing("CLUSTERDOWN"))
        guard case .stopped = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(h.attempts, 1, "the batch in hand is tried once while draining")
        XCTAssertEqual(h.pauses, [])
        XCTAssertEqual(h.lines, ["warning sink primary: storing its checkpoint: CLUSTERDOWN; retrying"])
    }

    func testAFinalFailureEndsWithoutAReportOrPause() {
        let h = Harness()
        var loop = h.loop()
        var seen: [String] = []
        let outcome = loop.run(
            until: { false }, h.failing("fenced"),
            onFailure: { error in
                seen.append("\(error)")
                return .end
            })
        guard case .ended = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(seen, ["fenced"])
        XCTAssertEqual(h.attempts, 1)
        XCTAssertEqual(h.lines, [])
        XCTAssertEqual(h.pauses, [])
    }

    func testBeforePauseEndsAfterTheReportAndAfterPauseRunsBeforeEachRetry() {
        let h = Harness()
        var loop = h.loop()
        var reloads = 0
        let outcome = loop.run(
            until: { false }, h.failing("MOVED"),
            beforePause: { h.attempts == 2 ? .end : .retry },
            afterPause: { reloads += 1 })
        guard case .ended = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(h.attempts, 2)
        XCTAssertEqual(reloads, 1)
        XCTAssertEqual(h.pauses, [0.2])
        XCTAssertEqual(h.lines, ["warning sink primary: storing its checkpoint: MOVED; retrying"])
    }
}
