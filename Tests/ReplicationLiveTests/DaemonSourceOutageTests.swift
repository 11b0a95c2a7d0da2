import Binlog
import Foundation
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

#if canImport(Glibc)
    import Glibc
#endif

/// MariaDB frozen (SIGSTOP) under the built `sluice run`: one warning when the source stops
/// answering, the connection errors counted, the lag gauge moving every second meanwhile, one
/// line when it answers again, then caught up.
final class DaemonSourceOutageTests: XCTestCase {
    func testFrozenSourceIsReportedOnceAndMetricsKeepMoving() throws {
        let chain = try ChainFixture(accounts: 10, partitions: 1)
        defer { chain.close() }
        guard let pid = chain.sandbox.mariadb.pid else { return XCTFail("MariaDB has no pid") }
        let child = try chain.startDaemon()
        defer { kill(pid, SIGCONT) }
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        let logBefore = LogFile.size(chain.runLogPath)
        func log() -> String { LogFile.read(chain.runLogPath, from: logBefore) }
        func lines(_ text: String) -> [Substring] { log().split(separator: "\n").filter { $0.contains(text) } }
        let silentLine = "source: the server stopped answering"
        let backLine = "source: the server answers again"

        kill(pid, SIGSTOP)
        XCTAssertTrue(
            repeatedly(timeout: 20, every: 0.2, until: { $0 }) { !lines(silentLine).isEmpty }, chain.runLogTail())
        // The loop is not stuck in the source: the lag gauge keeps growing second by second.
        let lag = "sluice_source_lag_seconds"
        let first = try MetricsScrape(port: chain.runMetricsPort, folder: chain.folder)
        let firstLag = try XCTUnwrap(first.value(lag), first.text)
        let later = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: chain.folder, timeout: 5) {
            ($0.value(lag) ?? 0) >= firstLag + 1.5
        }
        XCTAssertGreaterThanOrEqual(later.value(lag) ?? 0, firstLag + 1.5, later.text)
        // The replication read times out: counted as a source connection error.
        let errors = #"sluice_errors_total{kind="source_connection"}"#
        let counted = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: chain.folder, timeout: 40) {
            ($0.value(errors) ?? 0) >= 1
        }
        XCTAssertGreaterThanOrEqual(counted.value(errors) ?? 0, 1, counted.text)

        kill(pid, SIGCONT)
        _ = try chain.db.execute(
            "UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = 1")
        XCTAssertTrue(
            repeatedly(timeout: 60, every: 0.2, until: { $0 }) { !lines(backLine).isEmpty }, chain.runLogTail())
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        let silent = lines(silentLine)
        XCTAssertEqual(silent.count, 1, log())
        XCTAssertTrue(silent.first?.contains("silent_seconds=") == true, log())
        XCTAssertTrue(silent.first?.contains("timeout_seconds=5.0") == true, log())
        XCTAssertEqual(lines(backLine).count, 1, log())
        print("DaemonSourceOutageTests: \(silent.first ?? "")\n\(lines(backLine).first ?? "")")
        child.stop(grace: 15)
        chain.folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, chain.runLogTail())
    }

    /// MariaDB killed with SIGKILL under the daemon, then started again: one warning, every
    /// refused connection counted, one line when it is back, then caught up.
    func testKilledSourceIsReportedOnceAndCounted() throws {
        let chain = try ChainFixture(accounts: 10, partitions: 1)
        defer { chain.close() }
        let child = try chain.startDaemon()
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        let logBefore = LogFile.size(chain.runLogPath)
        func count(_ text: String) -> Int {
            LogFile.read(chain.runLogPath, from: logBefore).split(separator: "\n").filter { $0.contains(text) }.count
        }
        chain.sandbox.mariadb.crash()
        XCTAssertTrue(
            repeatedly(timeout: 20, every: 0.2, until: { $0 }) { count("source: the server stopped answering") > 0 },
            chain.runLogTail())
        let errors = #"sluice_errors_total{kind="source_connection"}"#
        let counted = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: chain.folder, timeout: 20) {
            ($0.value(errors) ?? 0) >= 2
        }
        XCTAssertGreaterThanOrEqual(counted.value(errors) ?? 0, 2, "each refused reconnect: \(counted.text)")

        try chain.sandbox.mariadb.restart()
        let db = try chain.sandbox.mariadb.connect()
        _ = try db.execute("UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = 1")
        XCTAssertTrue(
            repeatedly(timeout: 60, every: 0.2, until: { $0 }) { count("source: the server answers again") > 0 },
            chain.runLogTail())
        let status = try db.query("SHOW MASTER STATUS")
        let end = BinlogPosition(
            file: status.value("File") ?? "", offset: UInt64(status.value("Position") ?? "") ?? 0)
        XCTAssertTrue(try chain.waitUntilReached(end, daemon: child), chain.runLogTail())
        XCTAssertEqual(count("source: the server stopped answering"), 1, chain.runLogTail())
        XCTAssertEqual(count("source: the server answers again"), 1, chain.runLogTail())
        child.stop(grace: 15)
        chain.folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, chain.runLogTail())
    }

    /// A Redis shard (master and replica) frozen under the daemon: one warning once the sink's
    /// batch waits past `command_timeout_ms` (the client's own retries hide the timeouts), one
    /// line when it answers, then caught up.
    func testFrozenRedisShardIsReportedOnce() throws {
        let chain = try ChainFixture(accounts: 10, partitions: 1)
        defer { chain.close() }
        let child = try chain.startDaemon()
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        let map = try chain.client(chain.sandbox.primary).slotMap
        let master = try XCTUnwrap(map.master(forSlot: HashSlot.slot(of: Array("account:1".utf8))))
        let nodes = try chain.sandbox.primary.topology()
        let masterID = nodes.first { $0.port == master.port }?.id
        let shard = [master.port] + nodes.filter { $0.masterID != nil && $0.masterID == masterID }.map(\.port)
        let pids = shard.compactMap { chain.sandbox.primary.pids[$0] }
        XCTAssertEqual(pids.count, 2, "a master and its replica: \(shard)")
        defer { for pid in pids { kill(pid, SIGCONT) } }
        let logBefore = LogFile.size(chain.runLogPath)
        func lines(_ text: String) -> [Substring] {
            LogFile.read(chain.runLogPath, from: logBefore).split(separator: "\n").filter { $0.contains(text) }
        }
        let silentLine = "sink redis.primary: Redis stopped answering"
        let backLine = "sink redis.primary: Redis answers again"

        for pid in pids { kill(pid, SIGSTOP) }
        _ = try chain.db.execute(
            "UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = 1")
        XCTAssertTrue(
            repeatedly(timeout: 30, every: 0.2, until: { $0 }) { !lines(silentLine).isEmpty }, chain.runLogTail())
        for pid in pids { kill(pid, SIGCONT) }
        XCTAssertTrue(
            repeatedly(timeout: 60, every: 0.2, until: { $0 }) { !lines(backLine).isEmpty }, chain.runLogTail())
        XCTAssertTrue(try chain.waitForDaemon(child).caughtUp, chain.runLogTail())
        XCTAssertEqual(lines(silentLine).count, 1, chain.runLogTail())
        XCTAssertTrue(lines(silentLine).first?.contains("timeout_seconds=5.0") == true, chain.runLogTail())
        XCTAssertEqual(lines(backLine).count, 1, chain.runLogTail())
        print("DaemonSourceOutageTests: \(lines(silentLine).first ?? "")\n\(lines(backLine).first ?? "")")
        child.stop(grace: 15)
        chain.folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, chain.runLogTail())
    }

    /// One line when silent past the timeout, none while it stays silent, one when it answers.
    func testSilenceWatchSaysOnceEachWay() {
        var watch = SilenceWatch(timeout: 5)
        XCTAssertNil(watch.observe(silentFor: 4.9, now: 100))
        XCTAssertEqual(watch.observe(silentFor: 5.2, now: 105.2), .silent(seconds: 5.2))
        XCTAssertNil(watch.observe(silentFor: 30, now: 130))
        XCTAssertEqual(watch.observe(silentFor: 0.1, now: 160), .back(afterSeconds: 60))
        XCTAssertNil(watch.observe(silentFor: 0.1, now: 161))
        XCTAssertEqual(watch.observe(silentFor: 6, now: 200), .silent(seconds: 6))
    }
}
