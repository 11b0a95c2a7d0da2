import Foundation
import Kafka
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// `[kafka] format = "debezium"` with tombstones and DDL events inline, every hop a real
/// process: MariaDB, the built `sluice run` into Tansu, the built `sluice dr-apply` into the DR
/// cluster, which must end equal to MySQL; the topic holds Debezium events, one tombstone per
/// delete and the DDL with its credentials masked.
final class KafkaFormatProcessTests: XCTestCase {
    func testDebeziumTopicWithTombstonesAndDDLKeepsTheDRClusterEqualToMySQL() throws {
        try runChain(format: "debezium", statementKey: "ddl") { m, event in
            XCTAssertTrue(["c", "u", "d"].contains(event["op"] as? String ?? ""), "\(event)")
            XCTAssertEqual((event["source"] as? [String: Any])?["connector"] as? String, "mysql")
            XCTAssertNotNil(
                try JSONSerialization.jsonObject(with: Data(m.key ?? [])) as? [String: Any], "a Debezium key object")
        }
    }

    func testCanalTopicWithTombstonesAndDDLKeepsTheDRClusterEqualToMySQL() throws {
        try runChain(format: "canal", statementKey: "sql") { _, event in
            XCTAssertTrue(["INSERT", "UPDATE", "DELETE"].contains(event["type"] as? String ?? ""), "\(event)")
            XCTAssertEqual(event["isDdl"] as? Bool, false)
            XCTAssertEqual(event["database"] as? String, "payments")
            XCTAssertEqual((event["data"] as? [[String: Any]])?.count, 1)
        }
    }

    /// The chain with `[kafka] format`, tombstones and DDL inline: a workload, a CREATE USER with a
    /// password, a CREATE TABLE, an insert and a delete; the DR cluster must equal MySQL, and every
    /// row message pass `checkRow`.
    private func runChain(
        format: String, statementKey: String, checkRow: (KafkaMessage, [String: Any]) throws -> Void
    ) throws {
        let chain = try ChainFixture(
            accounts: 20, partitions: 2,
            kafkaSettings: ["format = \"\(format)\"", "tombstones = true", "ddl_topic = \"\(DemoConfig.topic)\""])
        defer { chain.close() }
        let daemon = try chain.startDaemon()
        let applier = try chain.startDRApply()
        for n in 0..<10 { try chain.workload.transfer(on: chain.db, from: 1 + n, to: 11 + n, cents: 150 + n) }
        _ = try chain.db.execute("CREATE USER 'reporting'@'%' IDENTIFIED BY 'hunter2'")
        _ = try chain.db.execute("CREATE TABLE payments.notes (id INT PRIMARY KEY, text VARCHAR(20))")
        _ = try chain.db.execute("INSERT INTO payments.accounts VALUES (900, 'side', 5.00, 1), (901, 'side', 6.00, 1)")
        _ = try chain.db.execute("DELETE FROM payments.accounts WHERE id = 900")

        let equal = try chain.waitForDREquality(deletedKeys: ["account:900"])
        XCTAssertTrue(equal.check.consistent, equal.check.summary + "\n" + LogFile.tail(chain.drLogPath))
        XCTAssertEqual(equal.check.rowsChecked, 21)

        let messages = try chain.readTopic { all in
            all.contains { String(decoding: $0.value ?? [], as: UTF8.self).contains("payments.notes") }
        }.filter { !$0.isWatermarkMarker }
        let texts = messages.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        XCTAssertFalse(texts.contains { $0.contains("hunter2") }, "a credential reached the topic")
        let ddl = messages.filter { $0.headers.contains { $0.name == "sluice.ddl" } }
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.value ?? [])) as? [String: Any] }
        XCTAssertTrue(
            ddl.contains { ($0[statementKey] as? String)?.hasPrefix("CREATE TABLE payments.notes") ?? false }, "\(ddl)")
        XCTAssertTrue(
            ddl.contains {
                ($0[statementKey] as? String)?.hasPrefix("CREATE USER 'reporting'@'%' IDENTIFIED BY") ?? false
            }, "\(ddl)")
        XCTAssertEqual(messages.filter { $0.value == nil }.count, 1, "one tombstone, after the one delete")
        let rows = messages.filter { $0.value != nil && !$0.headers.contains { $0.name == "sluice.ddl" } }
        XCTAssertGreaterThan(rows.count, 20)
        for m in rows {
            try checkRow(m, try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(m.value ?? [])) as? [String: Any]))
        }
        chain.stopAndExpectExitZero(applier: applier, daemon: daemon)
    }
}
