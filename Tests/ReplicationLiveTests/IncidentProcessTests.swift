import Binlog
import Foundation
import MySQLSource
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The built `sluice snapshot` and `sluice verify` against the full sandbox: an empty cluster
/// loaded from MySQL, differences named, bad invocations refused before anything is written, and
/// a snapshot (killed once half-way) while a payments workload runs and `sluice run` streams
/// into the same cluster.
final class IncidentProcessTests: XCTestCase {
    func testVerifyNamesChangedMissingAndExtraKeysAndSnapshotLoadsAnEmptyCluster() throws {
        let chain = try ChainFixture(accounts: 300, partitions: 1)
        defer { chain.close() }
        let redis = try chain.client(chain.sandbox.primary)

        // Bad input: exit 2 with the reason, nothing written.
        for (args, reason) in [
            (
                ["snapshot", "--cluster", "nope"],
                "no [redis.nope] section in the configuration (clusters: dr, primary)"
            ),
            (
                ["snapshot", "--tables", "payments.nothing"],
                "table 'payments.nothing' is not mapped to cluster 'primary'"
            ),
            (["verify", "--cluster", "nope"], "no [redis.nope] section"),
            (["snapshot", "--chunk-rows", "0"], "--chunk-rows must be a positive integer"),
        ] {
            let r = try chain.sluice(args)
            XCTAssertEqual(r.status, 2, r.output)
            XCTAssertTrue(r.output.contains(reason), "\(args): \(r.output)")
        }
        XCTAssertEqual(try chain.keyCount(redis), 0, "a refused invocation wrote nothing")

        // An empty cluster is different from MySQL: 300 keys missing.
        let empty = try chain.sluice(["verify", "--settle-seconds", "0"])
        XCTAssertEqual(empty.status, 3, empty.output)
        XCTAssertTrue(empty.output.contains("DIFFERENT: 300 difference(s)"), empty.output)
        XCTAssertTrue(empty.output.contains("account:1: missing in Redis"), empty.output)

        // Snapshot: every row, checkpoint at the snapshot position (the binlog's end: no writes).
        let end = try chain.masterPosition()
        let loaded = try chain.sluice(["snapshot", "--chunk-rows", "64"])
        XCTAssertEqual(loaded.status, 0, loaded.output)
        let json = try chain.lastJSON(loaded.output)
        XCTAssertEqual(json["rows"] as? Int, 300)
        XCTAssertEqual(json["tables"] as? [String], ["payments.accounts"])
        let position = try XCTUnwrap(json["position"] as? [String: Any])
        XCTAssertEqual(position["file"] as? String, end.file)
        XCTAssertEqual((position["pos"] as? NSNumber)?.uint64Value, end.offset)
        XCTAssertNotNil(json["peak_rss_mb"] as? Int)
        let checkpoint = try XCTUnwrap(try chain.sinkCheckpoints().redis, "the snapshot set the checkpoint")
        XCTAssertEqual(checkpoint.position, end)
        XCTAssertEqual(checkpoint.gtid, try chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertTrue(
            loaded.output.contains("checkpoint of primary moved by snapshot from none to \(end)"), loaded.output)

        let equal = try chain.sluice(["verify"])
        XCTAssertEqual(equal.status, 0, equal.output)
        XCTAssertTrue(
            equal.output.contains("equal: 300 row(s) of payments.accounts and 300 key(s) in cluster primary"),
            equal.output)

        // A changed value, a missing key, an extra key, a wrong version: each named, exit 3.
        let balance3 = try XCTUnwrap(
            try chain.db.query("SELECT balance FROM payments.accounts WHERE id = 3").value("balance"))
        _ = try redis.send(RedisCommand("HSET", "account:3", "balance", "0.01"), key: "account:3")
        _ = try redis.send(RedisCommand("DEL", "account:5"), key: "account:5")
        _ = try redis.send(RedisCommand("HSET", "account:9999", "owner", "ghost"), key: "account:9999")
        _ = try redis.send(RedisCommand("HSET", "account:6", "sluice:v", "7"), key: "account:6")
        let found = try chain.sluice(["verify", "--settle-seconds", "1", "--json"])
        XCTAssertEqual(found.status, 3, found.output)
        let report = try chain.lastJSON(found.output)
        XCTAssertEqual(report["equal"] as? Bool, false)
        XCTAssertEqual(report["difference_count"] as? Int, 4, found.output)
        let named = Set(
            ((report["differences"] as? [[String: Any]]) ?? []).map { d in
                [d["key"], d["kind"], d["column"], d["mysql"], d["redis"]].map { "\($0 as? String ?? "-")" }.joined(
                    separator: "|")
            })
        XCTAssertEqual(
            named,
            [
                "account:3|value|balance|\(balance3)|0.01", "account:5|missing|-|-|-", "account:9999|extra|-|-|-",
                "account:6|version|version|1|7",
            ])

        // Snapshot again: the missing key comes back (the others keep their version: verify
        // still names them; docs/resync.md says to delete such keys before the snapshot).
        XCTAssertEqual(try chain.sluice(["snapshot"]).status, 0)
        XCTAssertEqual(try redis.send(RedisCommand("HGET", "account:5", "owner"), key: "account:5").text, "owner-5")
    }

    func testResyncReplaysARangeIntoAFlushedClusterAndRefusesAPurgedStart() throws {
        let chain = try ChainFixture(accounts: 40, partitions: 1)
        defer { chain.close() }
        let redis = try chain.client(chain.sandbox.primary)
        let db = chain.db
        let first = try XCTUnwrap(try db.query("SHOW BINARY LOGS").rows.first?[0] ?? nil)
        let created = try XCTUnwrap(try db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        _ = try db.execute("UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id <= 10")
        _ = try db.execute("DELETE FROM payments.accounts WHERE id = 40")

        // Up to the inserts only (--to a GTID): the later update is missing, verify names it.
        let upTo = try chain.sluice(["resync", "--from", "\(first):4", "--to", created])
        XCTAssertEqual(upTo.status, 0, upTo.output)
        XCTAssertEqual(try chain.lastJSON(upTo.output)["rows"] as? Int, 40, upTo.output)
        let behind = try chain.sluice(["verify", "--settle-seconds", "0"])
        XCTAssertEqual(behind.status, 3, behind.output)
        // 10 updated rows (balance, version column, stored version) and the deleted row's key.
        XCTAssertTrue(behind.output.hasPrefix("DIFFERENT: 31 difference(s) in 39 row(s)"), behind.output)
        XCTAssertTrue(behind.output.contains("account:1: version MySQL 2, Redis 1"), behind.output)

        // The rest from that GTID (the first transaction after it): equal.
        let rest = try chain.sluice(["resync", "--from", created])
        XCTAssertEqual(rest.status, 0, rest.output)
        XCTAssertEqual(try chain.lastJSON(rest.output)["rows"] as? Int, 11, rest.output)
        XCTAssertEqual(try chain.sluice(["verify"]).status, 0)

        // Every master loses its data: a range replayed from the start brings it all back; no
        // checkpoint is written by a resync.
        for node in redis.masters { _ = try redis.connection(to: node).command(RedisCommand("FLUSHALL")) }
        let all = try chain.sluice(["resync", "--from", "\(first):4"])
        XCTAssertEqual(all.status, 0, all.output)
        let equal = try chain.sluice(["verify"])
        XCTAssertEqual(equal.status, 0, equal.output)
        XCTAssertNil(try chain.sinkCheckpoints().redis, "resync leaves checkpoints alone")

        // Bad positions: exit 2 with the reason.
        let malformed = try chain.sluice(["resync", "--from", "bin.x:y"])
        XCTAssertEqual(malformed.status, 2, malformed.output)
        XCTAssertTrue(malformed.output.contains("--from bin.x:y: expected FILE:POS"), malformed.output)

        // A purged start is refused with the earliest position still there and `sluice snapshot`.
        // MariaDB purges a file once its binlog checkpoint moved on: commit in the new file and retry.
        _ = try db.execute("FLUSH BINARY LOGS")
        let current = try chain.masterPosition().file
        try eventually(timeout: 20, interval: 0) {
            _ = try db.execute("UPDATE payments.accounts SET owner = owner WHERE id = 1")
            _ = try db.execute("PURGE BINARY LOGS TO '\(current)'")
            return try db.query("SHOW BINARY LOGS").rows.first?[0] == current
        }
        XCTAssertEqual(try db.query("SHOW BINARY LOGS").rows.first?[0], current, "purged")
        let gtidThere = try XCTUnwrap(try db.query("SELECT BINLOG_GTID_POS('\(current)', 4) AS g").value("g"))
        let purged = try chain.sluice(["resync", "--from", "\(first):4"])
        XCTAssertEqual(purged.status, 2, purged.output)
        XCTAssertTrue(
            purged.output.contains(
                "resync from \(first):4 refused: that binlog is no longer on the server (purged); the earliest binlog "
                    + "still there starts at \(current):4 (GTID position \(gtidThere)). Changes before it can't be "
                    + "replayed: reload the cluster with `sluice snapshot --config FILE --cluster primary`"),
            purged.output)
    }

    func testCheckpointShowAndSetRefuseWhatTheSourceDoesNotHave() throws {
        let chain = try ChainFixture(accounts: 20, partitions: 1)
        defer { chain.close() }
        let db = chain.db
        let afterCreate = try chain.masterPosition()
        let created = try XCTUnwrap(try db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        _ = try db.execute("UPDATE payments.accounts SET version = version + 1 WHERE id = 1")
        _ = try db.execute("UPDATE payments.accounts SET version = version + 1 WHERE id = 2")

        let none = try chain.sluice(["checkpoint", "show"])
        XCTAssertEqual(none.status, 0, none.output)
        XCTAssertTrue(none.output.contains("primary (in redis.primary): no checkpoint"), none.output)
        XCTAssertTrue(none.output.contains("kafka (in redis.primary): no checkpoint"), none.output)

        // A GTID: its transaction's end is found in the binlog.
        let byGTID = try chain.sluice(["checkpoint", "set", "--sink", "primary", "--position", created])
        XCTAssertEqual(byGTID.status, 0, byGTID.output)
        XCTAssertTrue(
            byGTID.output.contains("checkpoint of primary moved from none to \(afterCreate) (gtid \(created)) by "),
            byGTID.output)
        XCTAssertEqual(try chain.sinkCheckpoints().redis?.position, afterCreate)

        // FILE:POS: its GTID position is read from the source.
        let end = try chain.masterPosition()
        let gtidNow = try XCTUnwrap(try db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let byPosition = try chain.sluice(["checkpoint", "set", "--sink", "kafka", "--position", "\(end)"])
        XCTAssertEqual(byPosition.status, 0, byPosition.output)
        XCTAssertEqual(try chain.sinkCheckpoints().kafka?.gtid, gtidNow)
        let shown = try chain.sluice(["checkpoint", "show", "--json"])
        let sinks = try XCTUnwrap(try chain.lastJSON(shown.output)["sinks"] as? [[String: Any]])
        XCTAssertEqual(
            sinks.map { "\($0["sink"] ?? "")=\($0["file"] ?? ""):\($0["pos"] ?? "")" },
            ["primary=\(afterCreate)", "kafka=\(end)"])

        // Positions the source does not have: refused (exit 2), nothing moved; --force for FILE:POS.
        for (position, reason) in [
            ("bin.000009:4", "bin.000009:4 is not a position the source has"),
            ("0-1-999", "GTID position 0-1-999 is not in the binlogs the source has"),
            ("bin.x:y", "--position bin.x:y: expected FILE:POS"),
        ] {
            let r = try chain.sluice(["checkpoint", "set", "--sink", "primary", "--position", position])
            XCTAssertEqual(r.status, 2, r.output)
            XCTAssertTrue(r.output.contains(reason), r.output)
        }
        let unknown = try chain.sluice(["checkpoint", "set", "--sink", "nope", "--position", "\(end)"])
        XCTAssertEqual(unknown.status, 2, unknown.output)
        XCTAssertTrue(unknown.output.contains("no sink 'nope' (sinks: primary, kafka)"), unknown.output)
        XCTAssertEqual(try chain.sinkCheckpoints().redis?.position, afterCreate)
        let forced = try chain.sluice([
            "checkpoint", "set", "--sink", "primary", "--position", "bin.000009:4", "--force",
        ])
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertTrue(forced.output.contains("with --force"), forced.output)
        XCTAssertEqual(try chain.sinkCheckpoints().redis?.position, BinlogPosition(file: "bin.000009", offset: 4))
    }

    func testSnapshotOfTheDRClusterSeedsTheAppliersOffsetsAtTheTopicEnd() throws {
        // Exact message counts: no DR watermark markers in the topic.
        let chain = try ChainFixture(accounts: 60, partitions: 1, kafkaSettings: ["watermark_interval_ms = 0"])
        defer { chain.close() }
        // The daemon puts the 60 inserts in Kafka; the DR applier never ran.
        let daemon = try chain.startDaemon()
        XCTAssertTrue(try chain.waitForDaemon(daemon).caughtUp, chain.runLogTail())
        let dr = try chain.client(chain.sandbox.dr)

        let snapshot = try chain.folder.run(
            service: "snapshot-dr", executable: chain.executable,
            arguments: ["snapshot", "--config", chain.drConfigPath, "--cluster", "dr"],
            workingDirectory: chain.folder.path, logPath: chain.folder.path + "/snapshot-dr.log", timeout: 120)
        XCTAssertEqual(snapshot.status, 0, snapshot.output)
        XCTAssertEqual(try chain.lastJSON(snapshot.output)["rows"] as? Int, 60)
        XCTAssertTrue(snapshot.output.contains("DR offset of \(DemoConfig.topic)[0] seeded at 60"), snapshot.output)
        let offsets = try DROffsets.load(from: dr, key: DROffsets.key(prefix: "sluice:dr:offsets:", cluster: "dr"))
        XCTAssertEqual(offsets.entries[DROffsets.Partition(topic: DemoConfig.topic, partition: 0)]?.next, 60)

        // Changes after the snapshot reach the DR cluster through the applier, from the seeded offset.
        _ = try chain.db.execute("UPDATE payments.accounts SET balance = 7, version = version + 1 WHERE id <= 5")
        _ = try chain.db.execute("DELETE FROM payments.accounts WHERE id = 60")
        XCTAssertTrue(try chain.waitForDaemon(daemon).caughtUp, chain.runLogTail())
        let applier = try chain.startDRApply()
        let (check, _) = try chain.waitForDREquality(deletedKeys: ["account:60"])
        XCTAssertTrue(check.consistent, check.summary + LogFile.tail(chain.drLogPath))
        let verify = try chain.folder.run(
            service: "verify-dr", executable: chain.executable,
            arguments: ["verify", "--config", chain.drConfigPath, "--cluster", "dr", "--settle-seconds", "0"],
            workingDirectory: chain.folder.path, logPath: chain.folder.path + "/verify-dr.log", timeout: 120)
        XCTAssertEqual(verify.status, 0, verify.output)
        chain.stopAndExpectExitZero(applier: applier, daemon: daemon)
    }

    /// Rows read by SQL (verify, snapshot) must render the same key and text as the same rows
    /// decoded from the binlog (resync, run): every column type, binary and NULL values included.
    func testRowsReadBySQLRenderLikeTheBinlogForEveryColumnType() throws {
        let chain = try ChainFixture(accounts: 2, partitions: 1)
        defer { chain.close() }
        let db = chain.db
        _ = try db.execute(
            """
            CREATE TABLE payments.types (id INT UNSIGNED PRIMARY KEY, i TINYINT, big BIGINT UNSIGNED, d DECIMAL(12,4),
            f FLOAT, g DOUBLE, y YEAR, b BIT(10), e ENUM('red','green'), s SET('a','b','c'), c CHAR(4), v VARCHAR(20),
            t TEXT, bin VARBINARY(8), bl BLOB, dt DATETIME(6), ts TIMESTAMP(3) NULL, da DATE, tm TIME(2), j JSON,
            ver INT NOT NULL)
            """)
        let mapping = """

            [[mapping]]
            table = "payments.types"
            key = "t:{id}"
            shape = "hash"
            version = "column"
            version_column = "ver"
            clusters = ["primary"]

            [[mapping]]
            table = "payments.types_json"
            key = "tj:{id}"
            shape = "json"
            version = "binlog"
            clusters = ["primary"]
            """
        let text = try String(contentsOfFile: chain.runConfigPath, encoding: .utf8)
        try (text + mapping).write(toFile: chain.runConfigPath, atomically: true, encoding: .utf8)
        let from = try chain.masterPosition()
        _ = try db.execute("SET time_zone = '+02:00'")
        _ = try db.execute(
            """
            INSERT INTO payments.types VALUES
            (1, -5, 18446744073709551615, -12.5000, 1.25, 0.1, 2024, b'1010000001', 'green', 'a,c', 'ab', 'héllo',
             'long text', x'00ff10', x'deadbeef', '2026-01-02 03:04:05.123456', '2026-06-01 12:00:00.5', '2026-12-31',
             '-12:34:56.78', '{"k": [1, 2.5, "x"]}', 3),
            (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, 1),
            (3, 127, 0, 0.0001, -3.4e38, 1e300, 1901, b'0', 'red', 'b', '', '', '', x'', x'', '1000-01-01 00:00:00',
             '1970-01-01 02:00:01', '1000-01-01', '838:59:59', 'null', 7)
            """)
        _ = try db.execute("CREATE TABLE payments.types_json LIKE payments.types")
        _ = try db.execute("INSERT INTO payments.types_json SELECT * FROM payments.types")
        let resync = try chain.sluice(["resync", "--from", "\(from)"])
        XCTAssertEqual(resync.status, 0, resync.output)
        XCTAssertEqual(try chain.lastJSON(resync.output)["rows"] as? Int, 6, resync.output)
        let verify = try chain.sluice(
            ["verify", "--tables", "payments.types,payments.types_json", "--settle-seconds", "0"])
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(
            verify.output.contains("equal: 6 row(s) of payments.types, payments.types_json and 6 key(s)"), verify.output
        )
    }
}
