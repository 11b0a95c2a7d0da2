import Binlog
import Foundation
import MySQLSource
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// A MySQL primary failover where the replica was behind: the replica stops receiving while the
/// workload and `sluice run` go on, so the primary cluster and Kafka get transactions the promoted
/// replica never has. The restarted daemon refuses (exit 3, the reason and the way out) instead of
/// misreading the server's answer as a purged binlog; `sluice repair-ahead --dry-run` counts and
/// changes nothing; `sluice repair-ahead` rewrites exactly the keys ahead from the promoted server
/// and limits the checkpoints to its binlog; the daemon then resumes by GTID and the primary
/// cluster follows the promoted server row by row, its next changes of those rows applied.
final class RepairAheadProcessTests: XCTestCase {
    func testDaemonRefusesACheckpointPastThePromotedServerAndRepairAheadLetsItResume() throws {
        let chain = try ChainFixture(accounts: 30, partitions: 3)
        defer { chain.close() }
        let (replica, replicaDB) = try chain.startReplica()
        let daemon = try chain.startDaemon()
        let stopWorkload = chain.startWorkload(pause: 0.002)
        XCTAssertTrue(repeatedly(timeout: 30, every: 0.05, until: \.self) { chain.workload.progress.committed >= 100 })
        try replicaDB.execute("STOP SLAVE")
        let stoppedAt = chain.workload.progress.committed
        _ = repeatedly(timeout: 20, every: 0.05, until: \.self) { chain.workload.progress.committed >= stoppedAt + 60 }
        XCTAssertNil(stopWorkload())
        let primaryGTID = try XCTUnwrap(chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let shipped = repeatedly(timeout: 30, every: 0.1, until: \.self) {
            guard let (r, k) = try? chain.sinkCheckpoints() else { return false }
            return r?.gtid == primaryGTID && k?.gtid == primaryGTID
        }
        XCTAssertTrue(shipped, "checkpoints never reached \(primaryGTID): \(chain.runLogTail())")
        chain.kill9(daemon)
        try replicaDB.execute("RESET SLAVE ALL")
        chain.sandbox.mariadb.stop()
        let config = try String(contentsOfFile: chain.runConfigPath, encoding: .utf8)
        try config.replacingOccurrences(of: "port = \(chain.sandbox.mariadb.port)\n", with: "port = \(replica.port)\n")
            .write(toFile: chain.runConfigPath, atomically: true, encoding: .utf8)
        let primary = try chain.client(chain.sandbox.primary)
        let ahead = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: primary, deletedKeys: [])
        XCTAssertFalse(ahead.aheadKeys.isEmpty, ahead.summary)

        // The daemon refuses, exit 3 (not restarted by systemd), with the reason and the way out.
        let log = try chain.refusedStart()
        let serverGTID = try XCTUnwrap(replicaDB.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertTrue(
            log.contains(
                "the checkpoint (gtid \(primaryGTID)) is past the binlog of mariadb server_id \(replica.serverID) "
                    + "(gtid \(serverGTID))"), log)
        XCTAssertTrue(log.contains("Run `sluice repair-ahead --config FILE`"), log)
        XCTAssertFalse(log.contains("purged"), log)

        func repair(_ extra: [String]) throws -> (status: Int32, output: String, report: [String: Any]) {
            let result = try chain.sluice(["repair-ahead"] + extra)
            return (result.status, result.output, try chain.lastJSON(result.output))
        }
        let before = try chain.sinkCheckpoints()
        let dry = try repair(["--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.output)
        XCTAssertGreaterThan(dry.report["ahead_transactions"] as? Int ?? 0, 0, dry.output)
        XCTAssertEqual(dry.report["rewritten_keys"] as? Int, ahead.aheadKeys.count, dry.output)
        XCTAssertEqual((dry.report["checkpoints"] as? [Any])?.count, 2, dry.output)
        XCTAssertEqual(try chain.sinkCheckpoints().redis, before.redis, "dry run: checkpoints untouched")
        let unchanged = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: primary, deletedKeys: [])
        XCTAssertEqual(unchanged.summary, ahead.summary, "dry run: keys untouched")

        let real = try repair(["--json"])
        XCTAssertEqual(real.status, 0, real.output)
        XCTAssertEqual(real.report["rewritten_keys"] as? Int, ahead.aheadKeys.count, real.output)
        XCTAssertEqual(real.report["unrepaired_keys"] as? Int, 0, real.output)
        let repaired = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: primary, deletedKeys: [])
        XCTAssertTrue(repaired.consistent, repaired.summary + "\n" + real.output)
        let limited = try chain.sinkCheckpoints()
        XCTAssertEqual(limited.redis?.gtid, serverGTID)
        XCTAssertEqual(limited.kafka?.gtid, serverGTID)

        // The daemon resumes by GTID on the promoted server and follows its new changes.
        let resumed = try chain.startDaemon()
        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try replica.connect(), pause: 0.002)
        _ = repeatedly(timeout: 20, every: 0.05, until: \.self) { workload.committed.values.reduce(0, +) >= 100 }
        workload.finish()
        XCTAssertNil(workload.error, "\(workload.error.map { "\($0)" } ?? "")")
        let end = try XCTUnwrap(replicaDB.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let caughtUp = repeatedly(timeout: 60, every: 0.1, until: \.self) {
            ((try? chain.sinkCheckpoints().redis) ?? nil)?.gtid == end || !resumed.isRunning
        }
        XCTAssertTrue(caughtUp && resumed.isRunning, "not at \(end): \(chain.runLogTail())")
        XCTAssertTrue(LogFile.tail(chain.runLogPath, lines: 400).contains("resume_by=gtid"), chain.runLogTail())
        let followed = try ConsistencyCheck(
            mapping: chain.mapping, mysql: replicaDB, redis: primary,
            deletedKeys: workload.deleted.keys.map { "account:\($0)" })
        XCTAssertTrue(followed.consistent, followed.summary)
        resumed.stop(grace: 15)
        chain.folder.forget(resumed)
        XCTAssertEqual(resumed.exitStatusIfExited(), 0, chain.runLogTail())
        print(
            "repair-ahead: \(real.report["ahead_transactions"] ?? "?") transactions past the promoted server, "
                + "\(real.report["rewritten_keys"] ?? "?") keys rewritten; checkpoints \(primaryGTID) -> \(serverGTID)")
    }
}
