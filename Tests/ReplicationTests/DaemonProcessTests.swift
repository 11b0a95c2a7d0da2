import Binlog
import Foundation
import Kafka
import MySQLSource
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// The built `sluice run` binary against the full sandbox (MariaDB, primary Redis cluster, Tansu):
/// a mixed workload, catch-up to SHOW MASTER STATUS, row-by-row equality, every change in Kafka,
/// SIGTERM -> exit 0.
final class DaemonProcessTests: XCTestCase {
    func testMixedWorkloadReachesRedisAndKafkaAndSigtermExitsZero() throws {
        let executable = try BuiltBinary.path()
        let sandbox: FullSandbox
        do {
            sandbox = try FullSandbox()
        } catch {
            throw XCTSkip("sandbox did not start: \(error)")
        }
        defer { sandbox.close() }
        let folder = sandbox.folder
        let topic = DemoConfig.topic
        try sandbox.kafka.createTopic(topic, partitions: 1)
        let metricsPort = try PortAllocator().pick()
        let configPath = folder.path + "/run.toml"
        try DemoConfig.text(
            mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses, kafka: sandbox.kafka.bootstrapServers,
            metricsListen: "127.0.0.1:\(metricsPort)", logLevel: "info"
        ).write(toFile: configPath, atomically: true, encoding: .utf8)

        let db = try sandbox.mariadb.connect()
        let workload = PaymentsWorkload(accounts: 20)
        try workload.create(on: db)  // 20 inserts
        let logPath = folder.path + "/run.log"
        let child = try folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", configPath],
            workingDirectory: folder.path, logPath: logPath)

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
        // A table the filter leaves out.
        _ = try db.execute("CREATE DATABASE other")
        _ = try db.execute("CREATE TABLE other.t (id INT PRIMARY KEY)")
        _ = try db.execute("INSERT INTO other.t VALUES (1)")

        let status = try db.query("SHOW MASTER STATUS")
        let file = try XCTUnwrap(status.value("File"))
        let end = try XCTUnwrap(status.value("Position"))
        let redis = try RedisClusterClient(
            topology: .cluster(seeds: sandbox.primary.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let store = CheckpointStore(client: redis, prefix: "sluice:checkpoint:")
        let deadline = Date().addingTimeInterval(60)
        func caughtUp() throws -> Bool {
            for sink in ["primary", "kafka"] {
                guard let c = try store.load(sink: sink), c.position.file == file, String(c.position.offset) == end
                else { return false }
            }
            return true
        }
        while try !caughtUp(), Date() < deadline, child.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertTrue(try caughtUp(), "not caught up to \(file):\(end): \(LogFile.tail(logPath))")

        let mapping = TableMapping(config: try XCTUnwrap(Self.mapping()))
        let check = try ConsistencyCheck(
            mapping: mapping, mysql: db, redis: redis, deletedKeys: (41...50).map { "account:\($0)" })
        XCTAssertTrue(check.consistent, check.summary)
        XCTAssertEqual(check.rowsChecked, 40 + 3000)
        XCTAssertEqual(
            try db.query("SELECT balance FROM payments.accounts WHERE id = 3").value("balance"), "1001.00",
            "the rolled-back XA left account 3 alone")

        // Kafka holds every change of the filtered tables (and none of other.t).
        let consumer = try KafkaConsumer(settings: [
            "bootstrap.servers": sandbox.kafka.bootstrapServers, "group.id": "daemon-test",
            "enable.auto.commit": "false",
        ])
        try consumer.assign([KafkaPartitionOffset(topic: topic, partition: 0, offset: 0)])
        var messages: [KafkaMessage] = []
        let readDeadline = Date().addingTimeInterval(30)
        while messages.count < changes, Date() < readDeadline {
            messages += try consumer.poll(count: 1000, timeoutMilliseconds: 500)
        }
        let keys = messages.map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(messages.count, changes)
        XCTAssertTrue(keys.allSatisfy { $0.hasPrefix("payments.accounts[") }, "\(Set(keys).filter { !$0.hasPrefix("payments.accounts[") })")
        XCTAssertEqual(keys.filter { $0 == "payments.accounts[2]" }.count, 3, "insert, update, XA COMMIT")

        // The metrics endpoint counts what was read.
        let scrape = try folder.run(
            service: "curl", executable: "/usr/bin/curl", arguments: ["-s", "http://127.0.0.1:\(metricsPort)/metrics"],
            workingDirectory: folder.path, logPath: folder.path + "/curl.log", timeout: 10
        ).output
        XCTAssertTrue(
            scrape.contains(#"sluice_source_rows_total{db="payments",kind="insert",table="accounts"} 3050"#), scrape)

        child.stop(grace: 15)
        folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, LogFile.tail(logPath))
        XCTAssertTrue(LogFile.tail(logPath).contains("drained"), LogFile.tail(logPath))
    }

    static func mapping() -> MappingConfig? {
        guard
            case .success(let loaded) = SluiceConfig.parse(
                "[source]\nuser = \"u\"\nserver_id = 9\n[redis.primary]\nseeds = [\"127.0.0.1:1\"]\n"
                    + PaymentsWorkload.accountsMapping, file: "m.toml", directory: ".", environment: [:])
        else { return nil }
        return loaded.config.mappings.first
    }
}

/// `sluice demo --seconds 3`: the whole demo end to end, consistent, exit 0.
final class DemoProcessTests: XCTestCase {
    func testDemoRunsAndReportsConsistency() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "demo")
        defer { folder.close() }
        let result = try folder.run(
            service: "demo", executable: executable, arguments: ["demo", "--seconds", "3", "--accounts", "50"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/demo.log", timeout: 120)
        let output = result.output + LogFile.tail(folder.path + "/demo.log", lines: 60)
        XCTAssertTrue(output.contains("consistent: 50 row(s) of MySQL equal their Redis keys and versions"), output)
        XCTAssertTrue(output.contains("daemon caught up to bin."), output)
        XCTAssertTrue(output.contains("rows/s"), output)
        XCTAssertEqual(result.status, 0, output)
    }
}
