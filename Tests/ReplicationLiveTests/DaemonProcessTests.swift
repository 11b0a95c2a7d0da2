import Binlog
import Foundation
import Kafka
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The built `sluice run` binary against the full sandbox (MariaDB, primary Redis cluster, Tansu):
/// a mixed workload, catch-up to SHOW MASTER STATUS, row-by-row equality, every change in Kafka,
/// SIGTERM -> exit 0.
final class DaemonProcessTests: XCTestCase {
    func testMixedWorkloadReachesRedisAndKafkaAndSigtermExitsZero() throws {
        // One partition: the test reads every change back from partition 0.
        let chain = try ChainFixture(accounts: 20, partitions: 1)  // 20 inserts
        defer { chain.close() }
        let folder = chain.folder
        let db = chain.db
        let topic = DemoConfig.topic
        let logPath = chain.runLogPath
        let child = try chain.startDaemon()

        var changes = 20
        for id in 21...50 {
            _ = try db.execute("INSERT INTO payments.accounts VALUES (\(id), 'owner-\(id)', 5.00, 1)")
        }
        changes += 30
        _ = try db.execute("UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id <= 10")
        changes += 10
        // Only the version moves: the mapped data columns stay as they were.
        _ = try db.execute("UPDATE payments.accounts SET version = version + 1 WHERE id BETWEEN 11 AND 15")
        changes += 5
        _ = try db.execute("DELETE FROM payments.accounts WHERE id > 40")
        changes += 10
        // One transaction of 3,000 rows.
        _ = try db.execute("BEGIN")
        for block in 0..<6 {
            let values = (0..<500).map { i -> String in
                let id = 1000 + block * 500 + i
                return "(\(id), 'bulk-\(id)', 1.00, 1)"
            }
            _ = try db.execute("INSERT INTO payments.accounts VALUES " + values.joined(separator: ","))
        }
        _ = try db.execute("COMMIT")
        changes += 3000
        for statement in [
            "XA START 'x-commit'", "UPDATE payments.accounts SET balance = 77, version = version + 1 WHERE id = 2",
            "XA END 'x-commit'", "XA PREPARE 'x-commit'", "XA COMMIT 'x-commit'",
            "XA START 'x-rollback'", "UPDATE payments.accounts SET balance = 0, version = version + 1 WHERE id = 3",
            "XA END 'x-rollback'", "XA PREPARE 'x-rollback'", "XA ROLLBACK 'x-rollback'",
        ] { _ = try db.execute(statement) }
        changes += 1
        // A statement event with a credential: logged, masked.
        _ = try db.execute("CREATE USER 'reader'@'%' IDENTIFIED BY 'hunter2-in-the-log'")
        // A table the filter leaves out.
        _ = try db.execute("CREATE DATABASE other")
        _ = try db.execute("CREATE TABLE other.t (id INT PRIMARY KEY)")
        _ = try db.execute("INSERT INTO other.t VALUES (1)")

        let daemonAt = try chain.waitForDaemon(child)
        XCTAssertTrue(daemonAt.caughtUp, "not caught up to \(daemonAt.end): \(LogFile.tail(logPath))")
        let redis = try chain.client(chain.sandbox.primary)

        let check = try ConsistencyCheck(
            mapping: chain.mapping, mysql: db, redis: redis, deletedKeys: (41...50).map { "account:\($0)" })
        XCTAssertTrue(check.consistent, check.summary)
        XCTAssertEqual(check.rowsChecked, 40 + 3000)
        XCTAssertEqual(
            try db.query("SELECT balance FROM payments.accounts WHERE id = 3").value("balance"), "1001.00",
            "the rolled-back XA left account 3 alone")

        // Kafka holds every change of the filtered tables (and none of other.t).
        let consumer = try KafkaConsumer(settings: [
            "bootstrap.servers": chain.sandbox.kafka.bootstrapServers, "group.id": "daemon-test",
            "enable.auto.commit": "false",
        ])
        try consumer.assign([KafkaPartitionOffset(topic: topic, partition: 0, offset: 0)])
        var messages: [KafkaMessage] = []
        let readDeadline = Date().addingTimeInterval(30)
        while messages.count < changes, Date() < readDeadline {
            // DR watermark markers (header sluice.watermark) are not row changes: a consumer skips them.
            messages += try consumer.poll(count: 1000, timeoutMilliseconds: 500).filter {
                !$0.isWatermarkMarker
            }
        }
        let keys = messages.map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(messages.count, changes)
        XCTAssertTrue(keys.allSatisfy { $0.hasPrefix("payments.accounts[") }, "\(Set(keys).filter { !$0.hasPrefix("payments.accounts[") })")
        XCTAssertEqual(keys.filter { $0 == "payments.accounts[2]" }.count, 3, "insert, update, XA COMMIT")

        // The metrics endpoint counts what was read. Some series are sampled once a second
        // (events, queue depth, the hold gauge): wait until a scrape shows the whole workload.
        let inserted = #"sluice_source_rows_total{db="payments",kind="insert",table="accounts"}"#
        let kinds = ["table_map", "write_rows", "update_rows", "delete_rows", "xid", "mariadb_gtid", "query"]
        func events(_ kind: String) -> String { #"sluice_source_events_total{kind="\#(kind)"}"# }
        func transactions(_ kind: String) -> String { #"sluice_source_transactions_total{kind="\#(kind)"}"# }
        let blocked = #"sluice_sink_blocked_seconds{sink="kafka"}"#
        let scrape = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: folder) { s in
            s.value(inserted) == 3050 && s.value("sluice_kafka_queue_depth") == 0 && (s.value(blocked) ?? 99) < 1
                && (s.value("sluice_kafka_delivery_latency_seconds_count") ?? 0) >= Double(changes)
                && kinds.allSatisfy { (s.value(events($0)) ?? 0) > 0 }
                && s.value(transactions("xa_rollback")) != nil
        }
        // One XA transaction committed, one rolled back.
        XCTAssertEqual(scrape.value(transactions("xa_commit")), 1, scrape.text)
        XCTAssertEqual(scrape.value(transactions("xa_rollback")), 1, scrape.text)
        XCTAssertEqual(scrape.value(inserted), 3050, scrape.text)
        // Caught up: nothing waits for the broker.
        XCTAssertLessThan(scrape.value(blocked) ?? 99, 1, scrape.text)
        XCTAssertEqual(scrape.value("sluice_kafka_queue_depth"), 0, scrape.text)
        // Every message's delivery report timed (more only if one was delivered again), and the
        // binlog events by kind: one TABLE_MAP and one ROWS event at least per statement.
        XCTAssertGreaterThanOrEqual(scrape.value("sluice_kafka_delivery_latency_seconds_count") ?? 0, Double(changes), scrape.text)
        for kind in kinds {
            XCTAssertGreaterThan(scrape.value(events(kind)) ?? 0, 0, kind + "\n" + scrape.text)
        }

        try checkSinkMetrics(chain: chain, daemon: child, changes: changes)

        child.stop(grace: 15)
        folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, LogFile.tail(logPath))
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("drained"), LogFile.tail(logPath))
        XCTAssertFalse(log.contains("hunter2-in-the-log"), "a password in the daemon log")
        XCTAssertTrue(log.contains("IDENTIFIED BY '***'"), "the statement event is logged, masked: \(log.suffix(3000))")
    }

    /// The per-sink metrics after the workload above (`changes` row changes, each written once),
    /// then three one-row transactions, each waited for: each is one batch of each sink.
    private func checkSinkMetrics(chain: ChainFixture, daemon: ChildProcess, changes: Int) throws {
        let rows = #"{db="payments",sink="SINK",table="accounts"}"#
        func series(_ name: String, _ sink: String, table: Bool = true) -> String {
            name + (table ? rows.replacingOccurrences(of: "SINK", with: sink) : #"{sink="\#(sink)"}"#)
        }
        let sinks = ["redis.primary", "kafka"]
        // The counters move right after the checkpoint is stored: wait for them.
        let before = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: chain.folder) { s in
            sinks.allSatisfy { s.value(series("sluice_sink_rows_applied_total", $0)) == Double(changes) }
        }
        for sink in sinks {
            XCTAssertEqual(before.value(series("sluice_sink_rows_applied_total", sink)), Double(changes), before.text)
            XCTAssertNil(before.value(series("sluice_sink_stale_writes_total", sink)), "nothing was replayed")
            XCTAssertNotNil(before.value(series("sluice_sink_batches_total", sink, table: false)), before.text)
        }
        for round in 1...3 {
            _ = try chain.db.execute(
                "UPDATE payments.accounts SET balance = balance + 1, version = version + 1 WHERE id = \(round)")
            XCTAssertTrue(try chain.waitForDaemon(daemon).caughtUp, LogFile.tail(chain.runLogPath))
        }
        let end = try XCTUnwrap(Double(try chain.db.query("SHOW MASTER STATUS").value("Position") ?? ""))
        func batches(_ scrape: MetricsScrape, _ sink: String) -> Double {
            scrape.value(series("sluice_sink_batches_total", sink, table: false)) ?? -1
        }
        let after = try MetricsScrape.awaiting(port: chain.runMetricsPort, folder: chain.folder) { s in
            sinks.allSatisfy {
                batches(s, $0) >= batches(before, $0) + 3
                    && s.value(series("sluice_sink_rows_applied_total", $0)) == Double(changes + 3)
                    && s.value(series("sluice_checkpoint_position_bytes", $0, table: false)) == end
                    && s.value(series("sluice_checkpoint_age_seconds", $0, table: false)) != nil
                    && s.value(series("sluice_sink_lag_bytes", $0, table: false)) == 0
            }
        }
        for sink in sinks {
            XCTAssertEqual(batches(after, sink) - batches(before, sink), 3, "\(sink): one batch per transaction")
            XCTAssertEqual(after.value(series("sluice_sink_rows_applied_total", sink)), Double(changes + 3), sink)
            XCTAssertEqual(after.value(series("sluice_checkpoint_position_bytes", sink, table: false)), end, sink)
            XCTAssertEqual(after.value(series("sluice_checkpoint_file_number", sink, table: false)), 1, sink)
            let age = try XCTUnwrap(after.value(series("sluice_checkpoint_age_seconds", sink, table: false)), sink)
            XCTAssertTrue((0..<30).contains(age), "\(sink) checkpoint age \(age)")
            // Caught up: nothing between its checkpoint and the end of the binlog, and no staler
            // than the source itself.
            XCTAssertEqual(after.value(series("sluice_sink_lag_bytes", sink, table: false)), 0, sink)
            let lag = try XCTUnwrap(after.value(series("sluice_sink_lag_seconds", sink, table: false)), after.text)
            XCTAssertLessThan(lag, 5, sink)
        }
        XCTAssertEqual(after.value(#"sluice_build_info{version="\#(SluiceVersion.current)"}"#), 1, after.text)
        XCTAssertGreaterThan(after.value("sluice_process_resident_memory_bytes") ?? 0, 1_000_000, after.text)
        XCTAssertEqual(after.value(#"sluice_rewinds_total{sink="redis.primary"}"#), nil, "no failover, no rewind")
    }
}

/// `sluice demo --seconds 3`: the whole demo end to end, transfers through the ledger, both
/// regions consistent, the total conserved, `ledger recover` with nothing to do, the status table
/// all caught up, exit 0.
final class DemoProcessTests: XCTestCase {
    func testDemoRunsAndReportsConsistency() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "demo")
        defer { folder.close() }
        let result = try folder.run(
            service: "demo", executable: executable, arguments: ["demo", "--seconds", "3", "--accounts", "50"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/demo.log", timeout: 120)
        let output = result.output + LogFile.tail(folder.path + "/demo.log", lines: 60)
        for cluster in ["primary", "DR"] {
            XCTAssertTrue(
                output.contains("\(cluster) cluster: consistent: 50 row(s) of MySQL equal their Redis keys and versions"), output)
        }
        XCTAssertTrue(output.contains("daemon caught up to bin."), output)
        XCTAssertTrue(output.contains("DR applier caught up to the topic's end"), output)
        XCTAssertTrue(output.contains("rows/s"), output)
        // Transfers through the ledger: its rate and p99 every second, then the conservation check
        // (50 accounts of 1,000.00 each) and recovery finding nothing in doubt.
        let ledgerLines = output.components(separatedBy: "\n").filter { $0.contains(" transfers/s ") }
        XCTAssertFalse(ledgerLines.isEmpty, output)
        for line in ledgerLines {
            XCTAssertNotNil(line.range(of: #"ledger +[0-9]+ transfers/s p99 ([0-9.]+ ms|-) "#, options: .regularExpression), line)
        }
        XCTAssertTrue(
            output.contains("ledger total balance 5000000 minor units (seeded 5000000), 0 negative balance(s): conserved"),
            output)
        XCTAssertTrue(output.contains("ledger recover: nothing to do"), output)
        XCTAssertNotNil(output.range(of: #"[1-9][0-9]* transfers committed"#, options: .regularExpression), output)
        XCTAssertTrue(output.contains("DR: lag "), output)
        XCTAssertTrue(output.contains(" ms after Kafka), "), output)
        // Configured as the docs recommend: no warning about its own configuration.
        XCTAssertFalse(output.contains("wait_replicas = 0"), output)
        // Lags from whole-second binlog timestamps are shown at a resolution they have.
        let lags = output.components(separatedBy: "\n").filter { $0.contains("daemon: checkpoint ") }
        XCTAssertFalse(lags.isEmpty, output)
        for line in lags {
            let daemonLag = #"daemon: checkpoint [^ ]+, lag (< 1|[0-9]+) s, "#
            XCTAssertNotNil(line.range(of: daemonLag, options: .regularExpression), line)
            XCTAssertNotNil(line.range(of: #"DR: (starting|nothing applied yet|lag (< 1|[0-9]+) s)"#, options: .regularExpression), line)
        }
        // The status table, every row caught up.
        let table = output.components(separatedBy: "sluice status --config ").last ?? ""
        for row in ["source", "redis.primary", "dr.dr"] {
            XCTAssertNotNil(table.split(separator: "\n").first { $0.hasPrefix(row + " ") && $0.contains(" ok ") }, table)
        }
        XCTAssertTrue(table.contains("; all under"), table)
        XCTAssertEqual(result.status, 0, output)
    }
}
