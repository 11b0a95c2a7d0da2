import Foundation
import MySQLSource
import TestSupport
import Timekeeping
import XCTest

/// The lag against a real MariaDB with this host's clock an hour ahead and an hour behind the
/// server's: event times are the server's, so the lag is measured on the server's clock.
final class LagClockTests: XCTestCase {
    func testLagIsTrueWithTheHostClockShiftedAnHour() throws {
        let fixture = try SourceFixture("source-lag-clock")
        let writer = try fixture.server.connect()
        for shift in [3600.0, -3600.0] {
            let clock = ShiftedWallClock(shift: shift)
            // A transaction committed with a timestamp 100 s in the past: 100 s behind when read.
            // (A new binlog file, whose format event carries the same old time.)
            try writer.execute("SET TIMESTAMP = UNIX_TIMESTAMP() - 100")
            try writer.execute("FLUSH BINARY LOGS")
            try waitForCheckpointEvent(fixture)
            let before = try fixture.masterStatus()
            let ids = try fixture.writeTransactions(1, on: writer)
            try writer.execute("SET TIMESTAMP = DEFAULT")
            let source = fixture.source(.position(before), serverID: shift > 0 ? 4101 : 4102, clock: clock)
            var read: SourceTransaction?
            try eventually(timeout: 30, interval: 0) {
                read = try source.poll(for: 0.5)
                return read != nil
            }
            XCTAssertEqual(read?.changes.count, ids.count)
            let behind = try XCTUnwrap(source.lag().secondsBehind)
            XCTAssertTrue((95...110).contains(behind), "clock shifted \(shift) s: read 100 s old, lag \(behind) s")
            // Caught up: the heartbeats bring it to about zero, and it stays there.
            try eventually(timeout: 10, interval: 0) {
                guard (source.lag().secondsBehind ?? 99) > 2 else { return true }
                _ = try source.poll(for: 0.2)
                return false
            }
            for _ in 0..<3 { _ = try source.poll(for: 1.1) }
            let caughtUp = try XCTUnwrap(source.lag().secondsBehind)
            XCTAssertLessThan(caughtUp, 2.5, "clock shifted \(shift) s: caught up, lag \(caughtUp) s")
        }
    }

    /// MariaDB writes the new file's own BINLOG_CHECKPOINT event (with the current time) from a
    /// background thread after FLUSH BINARY LOGS: waits for it, so it lies before the test's events.
    private func waitForCheckpointEvent(_ fixture: SourceFixture) throws {
        let file = try fixture.masterStatus().file
        try waitUntil("a BINLOG_CHECKPOINT event for \(file)", timeout: 10, interval: 0.05) {
            let events = try fixture.admin.query("SHOW BINLOG EVENTS IN '\(file)'")
            return events.rows.indices.contains {
                events.value("Event_type", row: $0) == "Binlog_checkpoint"
                    && events.value("Info", row: $0)?.contains(file) == true
            }
        }
    }
}

/// This host's wall clock shifted by `shift` seconds; the monotonic clock as it is (the source's
/// timers and poll deadlines do not move with the wall clock).
private struct ShiftedWallClock: ServiceClock {
    let shift: Double
    private let system = SystemClock()

    func monotonicNow() -> MonotonicInstant { system.monotonicNow() }
    func wallNow() -> Date { system.wallNow().addingTimeInterval(shift) }
}
