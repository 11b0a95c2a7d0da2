import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import Binlog
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

        let (configPath, runConfigPath) = try drRegionConfig(chain, replicaPort: replica.port, ha: true)
        func failover(_ extra: [String]) throws -> (status: Int32, output: String, report: [String: Any]) {
            try self.failover(chain, configPath, extra)
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

    /// The gap the drill found: the old primary wrote transactions its replica never received, the
    /// daemon shipped them and the DR applier applied them, so the DR cluster is *ahead* of the
    /// promoted server (here made certain: the replica stops replicating while the workload goes
    /// on). The dry run reports them and changes nothing; the failover rewrites every key they
    /// wrote from the promoted server's rows, leaves the DR cluster equal to it row by row, and
    /// stores checkpoints the promoted server's binlog has (not the watermark past it).
    func testFailoverRewritesKeysAheadOfThePromotedServer() throws {
        let chain = try ChainFixture(accounts: 30, kafkaSettings: ["watermark_interval_ms = 200"])
        defer { chain.close() }
        let (replica, replicaDB) = try chain.startReplica()
        let daemon = try chain.startDaemon()
        let applier = try chain.startDRApply()
        let workload = chain.workload
        let stopWorkload = chain.startWorkload(pause: 0.002)
        let dr = try chain.client(chain.sandbox.dr)
        XCTAssertTrue(repeatedly(timeout: 30, every: 0.05, until: \.self) { workload.progress.committed >= 100 })
        // The replica stops receiving: from here on the DR region's database falls behind.
        try replicaDB.execute("STOP SLAVE")
        let stoppedAt = workload.progress.committed
        _ = repeatedly(timeout: 20, every: 0.05, until: \.self) { workload.progress.committed >= stoppedAt + 60 }
        XCTAssertNil(stopWorkload())
        // The DR applier applies everything the daemon shipped, well past the replica.
        let primaryGTID = try XCTUnwrap(chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let caughtUp = repeatedly(timeout: 30, every: 0.1, until: \.self) {
            ((try? DROffsets.load(from: dr, key: "sluice:dr:offsets:{dr}").watermark) ?? nil)?.checkpoint.gtid == primaryGTID
        }
        XCTAssertTrue(caughtUp, "DR watermark never reached \(primaryGTID): \(LogFile.tail(chain.drLogPath))")
        chain.kill9(daemon)
        applier.stop(grace: 10)
        chain.folder.forget(applier)
        try replicaDB.execute("RESET SLAVE ALL")
        chain.sandbox.mariadb.stop()
        let ahead = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertFalse(ahead.aheadKeys.isEmpty, "the DR cluster should be ahead of the stopped replica: \(ahead.summary)")

        let (configPath, runConfigPath) = try drRegionConfig(chain, replicaPort: replica.port, ha: false)
        let dry = try failover(chain, configPath, ["--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.output)
        XCTAssertGreaterThan(dry.report["ahead_transactions"] as? Int ?? 0, 0, dry.output)
        XCTAssertEqual(dry.report["rewritten_keys"] as? Int, ahead.aheadKeys.count, dry.output)
        let unchanged = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertEqual(unchanged.summary, ahead.summary, "dry run: DR rows untouched")

        let real = try failover(chain, configPath, ["--json"])
        XCTAssertEqual(real.status, 0, real.output)
        XCTAssertEqual(real.report["rpo_transactions"] as? Int, 0, real.output)
        XCTAssertEqual(real.report["ahead_transactions"] as? Int, dry.report["ahead_transactions"] as? Int, real.output)
        XCTAssertEqual(real.report["rewritten_keys"] as? Int, ahead.aheadKeys.count, real.output)
        XCTAssertEqual(real.report["unrepaired_keys"] as? Int, 0, real.output)
        let equal = try ConsistencyCheck(mapping: chain.mapping, mysql: replicaDB, redis: dr, deletedKeys: [])
        XCTAssertTrue(equal.consistent, equal.summary + "\n" + real.output)
        let end = try XCTUnwrap(replicaDB.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertEqual(real.report["dr_gtid"] as? String, end, real.output)
        let checkpoint = try XCTUnwrap(CheckpointStore(client: dr, prefix: "sluice:checkpoint:").load(sink: "primary"))
        XCTAssertEqual(checkpoint.gtid, end, "the new region resumes where the promoted server's binlog is")
        XCTAssertTrue(FileManager.default.fileExists(atPath: runConfigPath))
        // The promoted server's next change of a row that was ahead is applied, not refused as stale.
        let key = try XCTUnwrap(ahead.aheadKeys.sorted().first)
        let id = try XCTUnwrap(key.split(separator: ":").last.map(String.init))
        try replicaDB.execute("UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = \(id)")
        let version = try XCTUnwrap(replicaDB.query("SELECT version FROM payments.accounts WHERE id = \(id)").value("version"))
        let table = try MappedTable(mapping: chain.mapping, connection: replicaDB)
        let row = try XCTUnwrap(
            table.rows(where: ["(`id` = \(id))"], at: BinlogPosition(file: "", offset: 0), gtid: nil, on: replicaDB).first)
        let apply = VersionedApplier(client: dr, tombstoneTTLSeconds: 60)
        XCTAssertEqual(try apply.apply([table.write(for: row)]), [.applied], "version \(version) of \(key)")
        print(
            "rows ahead: \(real.report["ahead_transactions"] ?? "?") transactions, "
                + "\(real.report["rewritten_keys"] ?? "?") keys rewritten, RTO \(real.report["rto_seconds"] ?? "?") s")
    }

    /// The DR region's configuration: [source] reaches the promoted replica, [ha] (optional) the
    /// old lease. Returns its path and where the run config goes.
    private func drRegionConfig(_ chain: ChainFixture, replicaPort: Int, ha: Bool) throws -> (String, String) {
        let configPath = chain.folder.path + "/dr-region.toml"
        try (String(contentsOfFile: chain.drConfigPath, encoding: .utf8)
            .replacingOccurrences(of: "port = \(chain.sandbox.mariadb.port)\n", with: "port = \(replicaPort)\n")
            + (ha ? "\n[ha]\ncluster = \"primary\"\nlease_key = \"sluice:lease\"\ninstance = \"dr-region\"\n" : ""))
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        return (configPath, chain.folder.path + "/dr-region.run.toml")
    }

    private func failover(_ chain: ChainFixture, _ configPath: String, _ extra: [String]) throws
        -> (status: Int32, output: String, report: [String: Any])
    {
        let result = try chain.folder.run(
            service: "failover", executable: chain.executable, arguments: ["failover", "--config", configPath] + extra,
            workingDirectory: chain.folder.path, logPath: chain.folder.path + "/failover.log", timeout: 180)
        let line = result.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let report = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return (result.status, result.output, report)
    }
}
