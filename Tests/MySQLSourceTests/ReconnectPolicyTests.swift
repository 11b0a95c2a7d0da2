import MySQLSource
import XCTest

final class ReconnectPolicyTests: XCTestCase {
    func testBackoffGrowsExponentiallyUpToTheCap() {
        var backoff = Backoff(initial: 0.2, maximum: 5, multiplier: 2, jitter: 0.25)
        // random 0.5 is the middle of the jitter band: no spread.
        let delays = (0..<8).map { _ in backoff.nextDelay(random: 0.5) }
        XCTAssertEqual(delays, [0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, 5])
        XCTAssertEqual(backoff.failures, 8)
        backoff.reset()
        XCTAssertEqual(backoff.nextDelay(random: 0.5), 0.2)
    }

    func testJitterSpreadsWithinTheBandAndNeverPassesTheCap() {
        var low = Backoff(initial: 1, maximum: 10, jitter: 0.25)
        XCTAssertEqual(low.nextDelay(random: 0), 0.75, accuracy: 1e-9)
        var high = Backoff(initial: 1, maximum: 10, jitter: 0.25)
        XCTAssertEqual(high.nextDelay(random: 0.999999), 1.25, accuracy: 1e-5)
        var capped = Backoff(initial: 10, maximum: 10, jitter: 0.5)
        XCTAssertEqual(capped.nextDelay(random: 0.99), 10)
        var generator = SystemRandomNumberGenerator()
        var random = Backoff(initial: 0.5, maximum: 30)
        for _ in 0..<200 {
            let delay = random.nextDelay(random: Double.random(in: 0..<1, using: &generator))
            XCTAssertGreaterThanOrEqual(delay, 0.375)
            XCTAssertLessThanOrEqual(delay, 30)
        }
    }

    func testRetryableFailuresWaitLongerEachTimeAndReconnectWhenTheTimerFires() {
        var machine = ReconnectStateMachine(backoff: Backoff(initial: 1, maximum: 8, jitter: 0), stableAfter: 10)
        XCTAssertEqual(machine.start(), .connect)
        let lost = SourceError(.connect, "Lost connection to server during query")
        var now = 100.0
        var waits: [Double] = []
        for _ in 0..<5 {
            guard case .wait(let until) = machine.failed(lost, now: now, random: 0.5) else {
                return XCTFail("expected a wait")
            }
            waits.append(until - now)
            XCTAssertEqual(machine.timerFired(now: until - 0.01), .wait(until: until), "too early: keep waiting")
            XCTAssertEqual(machine.timerFired(now: until), .connect)
            now = until
        }
        XCTAssertEqual(waits, [1, 2, 4, 8, 8])
        XCTAssertEqual(machine.consecutiveFailures, 5)
    }

    func testBackoffResetsOnlyAfterProgressOrAStableConnection() {
        var machine = ReconnectStateMachine(backoff: Backoff(initial: 1, maximum: 60, jitter: 0), stableAfter: 10)
        _ = machine.start()
        let lost = SourceError(.connect, "gone")
        _ = machine.failed(lost, now: 0, random: 0.5)  // 1
        machine.connected(now: 1)
        XCTAssertEqual(machine.failed(lost, now: 2, random: 0.5), .wait(until: 4))  // up 1 s only: 2
        machine.connected(now: 4)
        XCTAssertEqual(machine.failed(lost, now: 20, random: 0.5), .wait(until: 21))  // up 16 s: reset
        machine.connected(now: 21)
        machine.progressed()
        XCTAssertEqual(machine.failed(lost, now: 22, random: 0.5), .wait(until: 23))  // progress: reset
    }

    func testFinalErrorsStopAtOnceAndStayStopped() {
        for code in [SourceError.Code.authentication, .purgedBinlog, .serverIDConflict, .decode, .privileges] {
            var machine = ReconnectStateMachine()
            _ = machine.start()
            let error = SourceError(code, "final")
            XCTAssertEqual(machine.failed(error, now: 0, random: 0.5), .stop(error))
            XCTAssertEqual(machine.state, .stopped(error))
            XCTAssertEqual(machine.failed(SourceError(.connect, "later"), now: 1, random: 0.5), .stop(error))
            XCTAssertNil(machine.timerFired(now: 100))
        }
    }

    func testServerErrorsAreSortedIntoRetryOrStop() {
        func code(_ number: UInt32, _ message: String) -> SourceError.Code {
            SourceError.classify(
                MySQLError(operation: .query, code: number, sqlState: "HY000", message: message, context: "dump"),
                place: "bin.000001:4"
            ).code
        }
        XCTAssertEqual(code(1045, "Access denied for user 'x'@'localhost' (using password: YES)"), .authentication)
        XCTAssertEqual(code(2013, "Lost connection to server during query"), .connect)
        XCTAssertEqual(code(2003, "Can't connect to server on '127.0.0.1' (111)"), .connect)
        XCTAssertEqual(code(1927, "Connection was killed"), .connect)
        XCTAssertEqual(code(1236, "Could not find first log file name in binary log index file"), .purgedBinlog)
        XCTAssertEqual(
            code(
                1236, "Error: connecting slave requested to start from GTID 0-1-3, which is not in the master's binlog"),
            .purgedBinlog)
        XCTAssertEqual(
            code(1236, "A slave with the same server_uuid/server_id as this slave has connected to the master"),
            .serverIDConflict)
        XCTAssertEqual(code(1236, "binlog event checksum mismatch"), .binlogDump)
        XCTAssertEqual(
            code(1227, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s)"), .privileges)
        let error = SourceError.classify(
            MySQLError(operation: .connect, code: 1045, sqlState: "28000", message: "Access denied", context: "u@h"),
            place: nil)
        XCTAssertFalse(error.isRetryable)
        XCTAssertEqual(error.mysql?.code, 1045)
    }
}
