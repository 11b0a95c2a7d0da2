import Foundation
import Ops
import TestSupport
import XCTest

@testable import Replication

/// `sluice config check --source`: the `[[mapping]]` Kafka column keys checked against the
/// table's columns on a real MariaDB (the built binary, as an operator runs it).
final class KafkaColumnSourceCheckTests: XCTestCase {
    func testUnknownColumnsAreReportedWithTheirLineAndTheTablesColumns() throws {
        let folder = try SandboxFolder(label: "kafka-columns-check")
        defer { folder.close() }
        let mariadb = try MariaDBServer(in: folder, ports: PortAllocator())
        let db = try mariadb.connect()
        _ = try db.execute("CREATE DATABASE pay")
        _ = try db.execute("CREATE TABLE pay.cards (id INT PRIMARY KEY, pan VARCHAR(19), account_id INT)")
        func check(_ mapping: String, port: Int? = nil) throws -> (status: Int32, output: String) {
            let path = folder.path + "/check-\(UUID().uuidString).toml"
            try """
            [source]
            host = "127.0.0.1"
            port = \(port ?? mariadb.port)
            user = "root"
            server_id = 77
            connect_timeout_ms = 1000

            [redis.primary]
            seeds = ["127.0.0.1:7000"]

            [[mapping]]
            table = "pay.cards"
            key = "card:{id}"
            \(mapping)
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return try folder.run(
                service: "config-check", executable: try BuiltBinary.path(),
                arguments: ["config", "check", "--quiet", "--source", path],
                workingDirectory: folder.path, logPath: folder.path + "/check.log", timeout: 60)
        }
        let good = try check("kafka_mask_columns = [\"pan:keep-last-4\"]\nkafka_key_columns = [\"account_id\"]")
        XCTAssertEqual(good.status, 0, good.output)
        let bad = try check(
            "kafka_mask_columns = [\"pan:keep-last-4\", \"cvv:keep-last-0\"]\nkafka_key_columns = [\"acct\"]")
        XCTAssertEqual(bad.status, 2, bad.output)
        XCTAssertTrue(
            bad.output.contains(
                "mapping[0].kafka_mask_columns: pay.cards has no column cvv (its columns: id, pan, account_id)"),
            bad.output)
        XCTAssertTrue(bad.output.contains("mapping[0].kafka_key_columns: pay.cards has no column acct"), bad.output)
        // The source unreachable: a runtime failure that says so.
        let closed = try PortAllocator().pick()
        let down = try check("kafka_mask_columns = [\"pan:keep-last-4\"]", port: closed)
        XCTAssertEqual(down.status, 1, down.output)
        XCTAssertTrue(down.output.contains("cannot check the Kafka column keys against the source"), down.output)
    }
}
