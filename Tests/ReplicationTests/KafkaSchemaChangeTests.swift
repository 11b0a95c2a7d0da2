import Binlog
import Foundation
import MySQLSource
import Ops
import Timekeeping
import XCTest

@testable import Replication

/// Statement events (DDL) on `[kafka] ddl_topic`, in each format, credentials masked.
final class KafkaSchemaChangeTests: XCTestCase {
    private let origin = KafkaChangeMessage.Origin(
        serverID: 1, gtid: "0-1-9", timestamp: 1_700_000_000, end: BinlogPosition(file: "bin.000002", offset: 900))

    private func object(_ m: KafkaChangeMessage) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(m.value ?? [])) as? [String: Any])
    }

    private func message(_ sql: String, _ format: KafkaConfig.MessageFormat) throws -> KafkaChangeMessage {
        var settings = KafkaSink.Settings(properties: [:], format: format)
        settings.ddlTopic = "ddl"
        let sink = KafkaSink(
            settings: settings, mappings: [], logger: .events { _ in },
            clock: ManualClock(wall: Date(timeIntervalSince1970: 1_700_000_001)))
        let change = KafkaSchemaChange(
            statement: sql, database: "inventory", position: BinlogPosition(file: "bin.000002", offset: 700),
            origin: origin)
        return try XCTUnwrap(sink.messages(for: change).first)
    }

    func testEachFormatCarriesStatementDatabasePositionAndGTID() throws {
        let sql = "ALTER TABLE `inventory`.`customers` ADD COLUMN phone VARCHAR(20)"
        let sluice = try object(try message(sql, .sluice))
        XCTAssertEqual(sluice["op"] as? String, "ddl")
        XCTAssertEqual(sluice["db"] as? String, "inventory")
        XCTAssertEqual(sluice["statement"] as? String, sql)
        XCTAssertEqual(
            sluice["source"] as? NSDictionary,
            ["server_id": 1, "file": "bin.000002", "pos": 700, "gtid": "0-1-9", "ts": 1_700_000_000])

        let debezium = try message(sql, .debezium)
        XCTAssertEqual(String(decoding: debezium.key, as: UTF8.self), #"{"databaseName":"inventory"}"#)
        let d = try object(debezium)
        XCTAssertEqual(d["ddl"] as? String, sql)
        XCTAssertEqual(d["databaseName"] as? String, "inventory")
        XCTAssertEqual(d["ts_ms"] as? Int64, 1_700_000_001_000)
        let source = try XCTUnwrap(d["source"] as? [String: Any])
        XCTAssertEqual(source["pos"] as? Int, 700)
        XCTAssertEqual(source["gtid"] as? String, "0-1-9")
        XCTAssertTrue(source["table"] is NSNull)

        let canal = try object(try message(sql, .canal))
        XCTAssertEqual(canal["isDdl"] as? Bool, true)
        XCTAssertEqual(canal["type"] as? String, "ALTER")
        XCTAssertEqual(canal["table"] as? String, "customers")
        XCTAssertEqual(canal["sql"] as? String, sql)
        XCTAssertTrue(canal["data"] is NSNull)
        XCTAssertEqual(canal["gtid"] as? String, "0-1-9")
        // Canal's type per statement.
        for (statement, type, table) in [
            ("CREATE TABLE IF NOT EXISTS t1 (id INT)", "CREATE", "t1"), ("DROP TABLE IF EXISTS db.t2", "ERASE", "t2"),
            ("TRUNCATE TABLE t3", "TRUNCATE", "t3"), ("CREATE INDEX i ON t4 (a)", "CINDEX", "t4"),
            ("RENAME TABLE a TO b", "RENAME", "a"), ("GRANT SELECT ON *.* TO u", "QUERY", ""),
        ] {
            let c = try object(try message(statement, .canal))
            XCTAssertEqual(c["type"] as? String, type, statement)
            XCTAssertEqual(c["table"] as? String, table, statement)
        }
        let headers = try message(sql, .canal).headers
        XCTAssertTrue(headers.contains { $0 == ("sluice.ddl", "1") })
        XCTAssertTrue(DRChange.isSchemaChange(headers: headers.map { ($0.name, Array($0.value.utf8)) }))
        // No ddl_topic: nothing is produced.
        XCTAssertTrue(
            KafkaSink(settings: .init(properties: [:]), mappings: [], logger: .events { _ in })
                .messages(for: KafkaSchemaChange(statement: sql, database: "", position: origin.end, origin: origin))
                .isEmpty)
    }

    /// The statement a transaction carries is masked before it reaches any sink.
    func testCredentialsAreMaskedBeforeTheSink() {
        let t = SourceTransaction(
            gtid: "0-1-9", changes: [], statement: "CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'",
            statementDatabase: "mysql", start: BinlogPosition(file: "bin.000002", offset: 700),
            end: BinlogPosition(file: "bin.000002", offset: 900), timestamp: 1_700_000_000, checkpoint: nil)
        let p = t.pipelineTransaction(serverID: 1, firstOrdinal: 0)
        XCTAssertEqual(p.statement?.database, "mysql")
        XCTAssertEqual(p.statement?.position, BinlogPosition(file: "bin.000002", offset: 700))
        XCTAssertFalse(p.statement?.statement.contains("hunter2") ?? true, p.statement?.statement ?? "")
        XCTAssertTrue(p.statement?.statement.hasPrefix("CREATE USER 'app'@'%' IDENTIFIED BY") ?? false)
    }
}

/// `[kafka] transaction_topic`: BEGIN before a transaction's first chunk, END with the per-table
/// event counts after its last.
final class KafkaTransactionRecordTests: XCTestCase {
    func testBeginAndEndWithPerTableCountsAcrossChunks() throws {
        var settings = KafkaSink.Settings(properties: [:], singleTopic: "rows")
        settings.transactionTopic = "tx"
        let sink = KafkaSink(settings: settings, mappings: [], logger: .events { _ in })
        let origin = KafkaChangeMessage.Origin(
            serverID: 1, gtid: "0-1-44", timestamp: 1_700_000_000, end: BinlogPosition(file: "b.1", offset: 990))
        func change(_ table: String, _ ordinal: Int) -> RowChange {
            RowChange(
                database: "pay", table: table, kind: .insert, columns: ["id"], after: [.int(Int64(ordinal))],
                ordinal: ordinal,
                position: BinlogPosition(file: "b.1", offset: 500), primaryKey: [0])
        }
        let first = try sink.messages(
            for: PipelineTransaction(
                changes: [change("accounts", 0), change("accounts", 1)], origin: origin, checkpoint: nil))
        let last = try sink.messages(
            for: PipelineTransaction(
                changes: [change("transfers", 2)], origin: origin,
                checkpoint: SinkCheckpoint(
                    position: origin.end, gtid: MariaDBGTIDPosition(parsing: "0-1-44"), commitTime: 1_700_000_000)))
        XCTAssertEqual((first + last).map(\.topic), ["tx", "rows", "rows", "rows", "tx"])
        XCTAssertEqual(
            String(decoding: first[0].value ?? [], as: UTF8.self),
            #"{"status":"BEGIN","id":"0-1-44","ts_ms":1700000000000,"event_count":null,"data_collections":null}"#)
        XCTAssertEqual(
            String(decoding: last[1].value ?? [], as: UTF8.self),
            #"{"status":"END","id":"0-1-44","ts_ms":1700000000000,"event_count":3,"data_collections":["#
                + #"{"data_collection":"pay.accounts","event_count":2},{"data_collection":"pay.transfers","event_count":1}]}"#
        )
        XCTAssertEqual(String(decoding: last[1].key, as: UTF8.self), #"{"id":"0-1-44"}"#)
        XCTAssertTrue(DRChange.isSchemaChange(headers: last[1].headers.map { ($0.name, Array($0.value.utf8)) }))
    }
}
