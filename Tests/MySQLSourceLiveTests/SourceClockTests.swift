import Foundation
import MySQLSource
import TestSupport
import Timekeeping
import XCTest

/// The source's timers (the reconnect backoff, the poll deadline, the silence) run on the
/// injected monotonic clock; the wall clock is only for the lag.
final class SourceClockTests: XCTestCase {
    /// Against a loopback port nobody listens on (each connect is refused at once): the backoff's
    /// waits are the injected pause, which moves the manual clock, so `poll(for: 10)` returns nil
    /// after 10 s of that clock with no real waiting, having retried on the backoff's schedule. A
    /// wall clock stepped back an hour at every pause changes nothing.
    func testThePollDeadlineAndTheBackoffRunOnTheMonotonicClock() throws {
        let port = try PortAllocator().pick()
        let clock = ManualClock()
        let pauses = LockedList<Double>()
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: MySQLEndpoint(port: port, connectTimeoutSeconds: 2), replica: ReplicaOptions(serverID: 4301),
                start: .current, backoff: Backoff(initial: 1, maximum: 4, jitter: 0)),
            clock: clock,
            pause: { seconds in
                pauses.append(seconds)
                clock.advance(by: seconds)
                clock.stepWall(by: -3_600)
            },
            random: { 0.5 })
        let started = clock.monotonicNow()
        let real = Date()
        XCTAssertNil(try source.poll(for: 10))
        let waited = clock.monotonicNow().seconds(since: started)
        XCTAssertGreaterThanOrEqual(waited, 10, "returned before its deadline on the monotonic clock")
        XCTAssertLessThan(Date().timeIntervalSince(real), 5, "the pauses were the injected ones")
        // Refused at once, then after 1, 2, 4, 4 s...: the backoff doubles up to its maximum.
        XCTAssertEqual(Array(pauses.items.prefix(4)), [1, 2, 4, 4])
        XCTAssertEqual(source.failures.count, pauses.items.count)
        XCTAssertTrue(source.failures.allSatisfy { $0.code == .connect }, "\(source.failures)")
        XCTAssertNil(source.lastHeardAt, "never connected")
    }
}
