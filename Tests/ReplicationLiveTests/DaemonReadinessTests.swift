import Foundation
import Ops
import TestSupport
import Timekeeping
import XCTest

@testable import Replication

#if canImport(Glibc)
    import Glibc
#endif

/// `/readyz` of the built `sluice run` follows the real lag against `ready_lag_seconds`: ready when
/// caught up, not ready while a sink (the broker, frozen with SIGSTOP) holds a transaction longer
/// than the threshold, ready again once it answers.
final class DaemonReadinessTests: XCTestCase {
    func testReadyzFollowsASinkThatHolds() throws {
        let chain = try ChainFixture(accounts: 10, partitions: 1)
        defer { chain.close() }
        let listen = "listen = \"127.0.0.1:\(chain.runMetricsPort)\""
        let config = try String(contentsOfFile: chain.runConfigPath, encoding: .utf8)
        XCTAssertTrue(config.contains(listen))
        try config.replacingOccurrences(of: listen, with: listen + "\nready_lag_seconds = 2")
            .write(toFile: chain.runConfigPath, atomically: true, encoding: .utf8)
        guard let brokerPID = chain.sandbox.kafka.pid else { return XCTFail("the broker has no pid") }
        let child = try chain.startDaemon()
        defer { kill(brokerPID, SIGCONT) }
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        let caughtUp = try Readyz.awaiting(port: chain.runMetricsPort, folder: chain.folder) { $0.status == 200 }
        XCTAssertEqual(caughtUp.status, 200, caughtUp.body)
        XCTAssertTrue(caughtUp.body.hasPrefix("ready: lag "), caughtUp.body)

        kill(brokerPID, SIGSTOP)
        _ = try chain.db.execute(
            "UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = 1")
        let held = try Readyz.awaiting(port: chain.runMetricsPort, folder: chain.folder, timeout: 30) {
            $0.status == 503
        }
        XCTAssertEqual(held.status, 503, "the broker holds a transaction: \(held.body)")
        XCTAssertTrue(held.body.hasPrefix("not ready: lag "), held.body)
        XCTAssertTrue(held.body.hasSuffix(" s exceeds 2 s"), held.body)

        kill(brokerPID, SIGCONT)
        let again = try Readyz.awaiting(port: chain.runMetricsPort, folder: chain.folder, timeout: 60) {
            $0.status == 200
        }
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        child.stop(grace: 15)
        chain.folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, chain.runLogTail())
    }

    /// The readiness the daemon's loop reports, without a process: the larger of the source lag
    /// and the longest sink hold, not ready before the first event and once stopped.
    func testReadinessStates() {
        let clock = ManualClock()
        let readiness = DaemonReadiness(clock: clock, stallSeconds: 30)
        XCTAssertEqual(readiness.readiness, .notReady("no event read from the source yet"))
        XCTAssertNil(DaemonReadiness.lag(source: nil, sinksHeld: [40]))
        XCTAssertEqual(DaemonReadiness.lag(source: 0.2, sinksHeld: []), 0.2)
        XCTAssertEqual(DaemonReadiness.lag(source: 0.2, sinksHeld: [0, 58]), 58)
        XCTAssertEqual(DaemonReadiness.lag(source: 95, sinksHeld: [3]), 95)
        clock.advance(by: 1)
        readiness.update(lag: 58)
        XCTAssertEqual(readiness.readiness, .lagging(seconds: 58))
        clock.advance(by: 29)
        XCTAssertTrue(readiness.healthy())
        clock.advance(by: 1)
        XCTAssertFalse(readiness.healthy(), "the loop stopped reporting")
        // A wall-clock step does not count: only the monotonic reading measures the stall.
        readiness.update(lag: 0)
        clock.stepWall(by: -3_600)
        XCTAssertTrue(readiness.healthy(), "a wall-clock step back an hour")
        clock.stepWall(by: 7_200)
        XCTAssertTrue(readiness.healthy(), "a wall-clock step forward an hour")
        readiness.stop("halted: redis apply failed")
        readiness.stop("SIGTERM: draining")
        readiness.update(lag: 0)
        XCTAssertEqual(readiness.readiness, .notReady("halted: redis apply failed"))
        XCTAssertFalse(readiness.healthy())
    }
}

/// One `GET /readyz` (with curl), and waiting for an answer.
struct Readyz {
    let status: Int
    let body: String

    init(port: Int, folder: SandboxFolder) throws {
        let output = try folder.run(
            service: "curl", executable: "/usr/bin/curl",
            arguments: ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/readyz"],
            workingDirectory: folder.path, logPath: folder.path + "/curl.log", timeout: 10
        ).output
        var lines = output.components(separatedBy: "\n")
        status = Int(lines.popLast() ?? "") ?? 0
        body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func awaiting(
        port: Int, folder: SandboxFolder, timeout: Double = 15, until done: (Readyz) -> Bool
    ) throws -> Readyz {
        try repeatedly(timeout: timeout, every: 0.2, until: done) { try Readyz(port: port, folder: folder) }
    }
}
