import Foundation
import TestHelpers
import XCTest

/// The shared condition wait of the tests (`eventually`, `waitUntil`).
final class EventuallyTests: XCTestCase {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func testATrueConditionReturnsAtOnceAfterOneEvaluation() {
        var evaluations = 0
        let took = seconds {
            XCTAssertTrue(
                eventually(timeout: 10) {
                    evaluations += 1
                    return true
                })
        }
        XCTAssertEqual(evaluations, 1)
        XCTAssertLessThan(took, 1)
    }

    func testPollsUntilTheConditionBecomesTrue() {
        var evaluations = 0
        XCTAssertTrue(
            eventually(timeout: 10, interval: 0.001) {
                evaluations += 1
                return evaluations == 5
            })
        XCTAssertEqual(evaluations, 5)
    }

    func testAFalseConditionGivesUpAtTheDeadlineHavingCheckedItThere() {
        var evaluations = 0
        let took = seconds {
            XCTAssertFalse(
                eventually(timeout: 0.2, interval: 0.05) {
                    evaluations += 1
                    return false
                })
        }
        XCTAssertGreaterThanOrEqual(took, 0.2)
        XCTAssertLessThan(took, 5)
        // At once, about every 50 ms, and once more at the deadline.
        XCTAssertGreaterThanOrEqual(evaluations, 3)
    }

    func testWaitUntilNamesWhatDidNotHappenAndRethrowsTheConditionsError() {
        XCTAssertThrowsError(try waitUntil("the flag set", timeout: 0.05) { false }) { error in
            XCTAssertEqual((error as? ConditionTimeout)?.what, "the flag set")
            XCTAssertEqual((error as? ConditionTimeout)?.timeout, 0.05)
            XCTAssertEqual("\(error)", "not within 0.05 s: the flag set")
        }
        struct Probe: Error {}
        XCTAssertThrowsError(try waitUntil("never", timeout: 10) { throw Probe() }) { error in
            XCTAssertTrue(error is Probe, "\(error)")
        }
        XCTAssertNoThrow(try waitUntil("at once", timeout: 0) { true })
    }
}
