import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// `sluice failover` with the built binary: a MariaDB primary and a GTID replica (the DR region's
/// database), `sluice run` and `sluice dr-apply` under the payments workload; the daemon is killed
/// with SIGKILL while the workload goes on (transactions Kafka never carries), the replica is
/// promoted and the primary stopped. `--dry-run` says what it would replay and changes nothing;
/// the failover fences the old region's lease, replays from the DR watermark, leaves the DR
/// cluster equal to the promoted MySQL row by row (RPO 0) and writes a loadable run config.
final class RegionFailoverProcessTests: XCTestCase {
    func testDryRunChangesNothingThenFailoverLeavesDREqualToThePromotedServer() throws {
        let chain = try ChainFixture(accounts: 40, kafkaSettings: ["watermark_interval_ms = 300"])
        defer { chain.close() }
        let (replica, replicaDB) = try chain.startReplica()
        let primary = try chain.client(chain.sandbox.primary)
        // The old region's active daemon holds this lease (as `sluice run` under [ha] would).
        let oldLease = LeaderLease(client: primary, leaseKey: "sluice:lease", instance: "old-active", ttlMilliseconds: 600_000)
        guard case .held(let oldToken) = try oldLease.acquire() else { return XCTFail("lease not taken") }

        let daemon = try chain.startDaemon()
        let applier = try chain.startDRApply()
        let workload = chain.workload
        let stopWorkload = chain.startWorkload(pause: 0.002)
        let dr = try chain.client(chain.sandbox.dr)
        let watermarked = repeatedly(timeout: 30, every: 0.1, until: \.self) {
            workload.progress.committed >= 150
                && ((try? DROffsets.load(from: dr, key: "sluice:dr:offsets:{dr}").watermark) ?? nil) != nil
        }
        XCTAssertTrue(watermarked, "no DR watermark: \(LogFile.tail(chain.drLogPath))")
        // The primary region dies mid-stream: its daemon first, the database goes on a little.
        chain.kill9(daemon)
        let killedAt = workload.progress.committed
        _ = repeatedly(timeout: 20, every: 0.05, until: \.self) { workload.progress.committed >= killedAt + 40 }
        XCTAssertNil(stopWorkload())
        applier.stop(grace: 10)
        chain.folder.forget(applier)
        let primaryGTID = try XCTUnwrap(chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertEqual(try replicaDB.query("SELECT MASTER_GTID_WAIT('\(primaryGTID)', 30) AS w").value("w"), "0")
        try replicaDB.execute("STOP SLAVE")
        try replicaDB.execute("RESET SLAVE ALL")
        chain.sandbox.mariadb.stop()

        // The DR region's configuration: [source] reaches the promoted replica, [ha] the old lease.
        let configPath = chain.folder.path + "/dr-region.toml"
        let runConfigPath = chain.folder.path + "/dr-region.run.toml"
        try (String(contentsOfFile: chain.drConfigPath, encoding: .utf8)
            .replacingOccurrences(of: "port = \(chain.sandbox.mariadb.port)\n", with: "port = \(replica.port)\n")
            + "\n[ha]\ncluster = \"primary\"\nlease_key = \"sluice:lease\"\ninstance = \"dr-region\"\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        func failover(_ extra: [String]) throws -> (status: Int32, output: String, report: [String: Any]) {
            let result = try chain.folder.run(
                service: "failover", executable: chain.executable, arguments: ["failover", "--config", configPath] + extra,
                workingDirectory: chain.folder.path, logPath: chain.folder.path + "/failover.log", timeout: 180)
            let line = result.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
            let report = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return (result.status, result.output, report)
        }
        let offsetsBefore = try dr.send(RedisCommand("HGETALL", "sluice:dr:offsets:{dr}"), key: "sluice:dr:offsets:{dr}")
        let lacking = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertFalse(lacking.consistent, "the DR cluster should lack what Kafka never carried")

        let dry = try failover(["--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.output)
        XCTAssertEqual(dry.report["dry_run"] as? Bool, true, dry.output)
        XCTAssertGreaterThan(dry.report["replayed_transactions"] as? Int ?? 0, 0, "would replay: \(dry.output)")
        XCTAssertEqual(dry.report["rpo_transactions"] as? Int, 0, dry.output)
        XCTAssertEqual(
            try dr.send(RedisCommand("HGETALL", "sluice:dr:offsets:{dr}"), key: "sluice:dr:offsets:{dr}"), offsetsBefore,
            "dry run: offsets untouched")
        let stillLacking = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertEqual(stillLacking.summary, lacking.summary, "dry run: DR rows untouched")
        XCTAssertEqual(try LeaderLease.holder(client: primary, leaseKey: "sluice:lease")?.token, oldToken, "not fenced")
        XCTAssertFalse(FileManager.default.fileExists(atPath: runConfigPath), "dry run: no run config")

        let real = try failover(["--json"])
        XCTAssertEqual(real.status, 0, real.output)
        XCTAssertEqual(real.report["rpo_transactions"] as? Int, 0, real.output)
        XCTAssertEqual(real.report["rpo_rows"] as? Int, 0, real.output)
        // The dry run counts from the watermark it found; the real drain applies the messages still
        // in the topics first, whose markers can move the watermark on: at most what the dry run said.
        let replayed = real.report["replayed_transactions"] as? Int ?? 0
        XCTAssertGreaterThan(replayed, 0, "Kafka never carried the last transactions: \(real.output)")
        XCTAssertLessThanOrEqual(replayed, dry.report["replayed_transactions"] as? Int ?? 0, real.output)
        let rto = try XCTUnwrap((real.report["rto_seconds"] as? NSNumber)?.doubleValue, real.output)
        XCTAssertLessThan(rto, 60, real.output)
        let end = try XCTUnwrap(replicaDB.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertEqual(real.report["dr_gtid"] as? String, end, real.output)
        let equal = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertTrue(equal.consistent, equal.summary + "\n" + real.output)
        let lease = try XCTUnwrap(LeaderLease.holder(client: primary, leaseKey: "sluice:lease"))
        XCTAssertEqual(lease.instance, "failover")
        XCTAssertGreaterThan(lease.token, oldToken, "the old active's token is fenced out")
        XCTAssertFalse(try oldLease.renew(), "the old active cannot renew")
        guard case .success(let loaded) = SluiceConfig.load(path: runConfigPath, environment: [:]) else {
            return XCTFail("the run config does not load: \((try? String(contentsOfFile: runConfigPath, encoding: .utf8)) ?? "")")
        }
        XCTAssertNil(loaded.config.drApply)
        XCTAssertEqual(loaded.config.redis(named: "primary")?.seeds, chain.config.redis(named: "dr")?.seeds)
        let store = CheckpointStore(client: dr, prefix: "sluice:checkpoint:")
        let checkpoint = try XCTUnwrap(store.load(sink: "primary"))
        XCTAssertEqual(checkpoint.gtid, end)
        XCTAssertEqual(checkpoint.source, SourceIdentity(serverID: UInt32(replica.serverID), flavor: "mariadb"))
        print(
            "region failover: \(workload.progress.committed) transfers, \(killedAt) before the kill; replayed "
                + "\(real.report["replayed_transactions"] ?? "?") transactions, RPO \(real.report["rpo_transactions"] ?? "?"), "
                + "RTO \(String(format: "%.2f", rto)) s")
    }
}
