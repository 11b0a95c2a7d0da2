import Foundation
import Timekeeping
import XCTest

/// Durations and deadlines read the monotonic clock: time passing moves them, a step of the wall
/// clock (NTP, an operator, a resumed VM) does not.
final class StopwatchTests: XCTestCase {
    func testAStopwatchCountsMonotonicSecondsOnly() {
        let clock = ManualClock()
        let watch = Stopwatch(clock: clock)
        XCTAssertEqual(watch.seconds, 0)
        clock.advance(by: 2.5)
        XCTAssertEqual(watch.seconds, 2.5)
        clock.stepWall(by: -3_600)
        XCTAssertEqual(watch.seconds, 2.5, "a wall-clock step back is no time passing")
        clock.stepWall(by: 7_200)
        XCTAssertEqual(watch.seconds, 2.5, "nor is a step forward")
    }

    func testADeadlinePassesWhenItsSecondsHavePassed() {
        let clock = ManualClock()
        let deadline = Deadline(in: 10, clock: clock)
        XCTAssertFalse(deadline.hasPassed)
        XCTAssertEqual(deadline.secondsLeft, 10)
        clock.stepWall(by: 3_600)
        XCTAssertFalse(deadline.hasPassed, "a wall-clock jump forward does not end a wait")
        clock.advance(by: 9.75)
        XCTAssertEqual(deadline.secondsLeft, 0.25)
        XCTAssertFalse(deadline.hasPassed)
        clock.advance(by: 0.25)
        XCTAssertTrue(deadline.hasPassed)
        clock.advance(by: 5)
        XCTAssertEqual(deadline.secondsLeft, 0, "never negative")
    }

    func testTheSystemClockMonotonicReadingNeverGoesBack() {
        let clock = SystemClock()
        var last = clock.monotonicNow()
        for _ in 0..<10_000 {
            let now = clock.monotonicNow()
            XCTAssertGreaterThanOrEqual(now, last)
            last = now
        }
        let wall = clock.wallNow().timeIntervalSince(Date())
        XCTAssertLessThan(abs(wall), 1, "the wall reading is the time of day")
    }
}
