import Binlog
import Foundation
import MySQLSource
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// `sluice snapshot` of a table that existed before the daemon's start position, while a payments
/// workload writes and `sluice run` streams into the same cluster: killed with SIGKILL half-way,
/// run again; then, still under load, `sluice resync` of the whole stream and `sluice verify`
/// (exit 0), and after the load `sluice verify` exits 0 again; no key's version ever went down.
final class SnapshotConcurrentProcessTests: XCTestCase {
    static let accounts = 200_000

    func testSnapshotKilledHalfWayThenRerunWhileTheDaemonAndAWorkloadRun() throws {
        let started = Date()
        let chain = try ChainFixture(accounts: Self.accounts, partitions: 1)
        defer { chain.close() }
        let redis = try chain.client(chain.sandbox.primary)

        // The daemon starts at the binlog's end: the existing rows reach Redis only by the snapshot.
        let end = try chain.masterPosition()
        let gtid = try chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
        try CheckpointStore(client: redis, prefix: "sluice:checkpoint:").store(
            SinkCheckpoint(
                position: end, gtid: MariaDBGTIDPosition(parsing: gtid), commitTime: Int64(Date().timeIntervalSince1970)
            ), sink: "primary")
        let daemon = try chain.startDaemon()
        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0.002)
        // Accounts 1...3000 (and the new ones) are watched: a full sweep stays short.
        let watcher = VersionWatcher(redis: try chain.client(chain.sandbox.primary), highestID: { 3000 })

        // First run, paced, killed once it loaded part of the table.
        let logPath = chain.folder.path + "/snapshot-killed.log"
        let first = try chain.folder.start(
            service: "snapshot", executable: chain.executable,
            arguments: [
                "snapshot", "--config", chain.runConfigPath, "--chunk-rows", "2000", "--max-rows-per-s", "40000",
            ],
            workingDirectory: chain.folder.path, logPath: logPath)
        let halfWay = "account:\(Self.accounts / 4)"
        try eventually(timeout: 60, interval: 0.05) {
            try !first.isRunning || redis.send(RedisCommand("EXISTS", halfWay), key: halfWay).int == 1
        }
        XCTAssertTrue(first.isRunning, "the paced snapshot ended before it was killed: \(LogFile.tail(logPath))")
        chain.kill9(first)
        // Killed half-way: the table's tail is not loaded yet. The workload and the daemon write a
        // few random accounts there meanwhile (any of the 200,000), so a sample, not one key.
        let tail = stride(from: Self.accounts - 990, through: Self.accounts, by: 10).map { "account:\($0)" }
        let loaded = try tail.filter { try redis.send(RedisCommand("EXISTS", $0), key: $0).int == 1 }
        XCTAssertLessThan(loaded.count, tail.count / 2, "killed half-way, yet the table's tail is there: \(loaded)")
        XCTAssertEqual(try chain.sinkCheckpoints().redis?.position.file, end.file)

        // Second run, to the end, while the workload and the daemon still run.
        let snapshotStarted = Date()
        let second = try chain.sluice(["snapshot", "--chunk-rows", "5000"], timeout: 240)
        let snapshotSeconds = Date().timeIntervalSince(snapshotStarted)
        XCTAssertEqual(second.status, 0, second.output)
        let json = try chain.lastJSON(second.output)
        // The workload inserts and deletes accounts meanwhile: the snapshot holds the rows at its position.
        let rows = json["rows"] as? Int ?? 0
        XCTAssertLessThan(abs(rows - Self.accounts), 2000, "rows of the snapshot: \(second.output)")

        // Still under load: a resync of everything since the daemon's start (a replica of its own,
        // so the daemon's stream goes on), and a verify whose re-checks wait for the checkpoint.
        let resync = try chain.sluice(["resync", "--from", "\(end)"], timeout: 240)
        XCTAssertEqual(resync.status, 0, resync.output)
        XCTAssertGreaterThan(try chain.lastJSON(resync.output)["transactions"] as? Int ?? 0, 0, resync.output)
        XCTAssertTrue(daemon.isRunning, chain.runLogTail())
        let underLoad = try chain.sluice(["verify", "--chunk-rows", "5000", "--settle-seconds", "20"], timeout: 240)
        XCTAssertEqual(underLoad.status, 0, underLoad.output)

        workload.finish()
        XCTAssertNil(workload.error, "the workload failed: \(workload.error.map { "\($0)" } ?? "")")
        let caughtUp = try chain.waitForDaemon(daemon)
        XCTAssertTrue(caughtUp.caughtUp, "not caught up to \(caughtUp.end): \(chain.runLogTail())")
        let verify = try chain.sluice(["verify", "--chunk-rows", "5000", "--settle-seconds", "20"], timeout: 240)
        XCTAssertEqual(verify.status, 0, verify.output)
        let watched = watcher.stop()
        XCTAssertEqual(watched.regressions, [], "a version went down")
        XCTAssertGreaterThan(watched.sweeps, 2)
        daemon.stop(grace: 15)
        chain.folder.forget(daemon)
        XCTAssertEqual(daemon.exitStatusIfExited(), 0, chain.runLogTail())
        let rate = json["rows_per_s"].map { "\($0)" } ?? "?"
        let peak = json["peak_rss_mb"].map { "\($0)" } ?? "?"
        let transactions = workload.committed.values.reduce(0, +)
        let verified = verify.output.split(separator: "\n").last.map(String.init) ?? ""
        let seconds = String(format: "%.1f", snapshotSeconds)
        print(
            "SnapshotConcurrentProcessTests: \(Self.accounts) rows; snapshot \(seconds) s (\(rate) rows/s, peak \(peak) MB) "
                + "while \(transactions) transactions ran; verify: \(verified); watcher \(watched.sweeps) sweeps, "
                + "no regression; \(Int(Date().timeIntervalSince(started))) s in all")
    }
}
