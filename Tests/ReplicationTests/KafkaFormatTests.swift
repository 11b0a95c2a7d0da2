import Binlog
import Foundation
import Ops
import RedisCluster
import XCTest

@testable import Replication

/// The Debezium and Canal encodings, compared field by field with reference events written from
/// those projects' documentation, and read back by the DR decoder into the writes the primary sink
/// makes from the original change.
final class KafkaFormatTests: XCTestCase {
    private let origin = KafkaChangeMessage.Origin(
        serverID: 223_344, gtid: "0-223344-17", timestamp: 1_700_000_000,
        end: BinlogPosition(file: "mysql-bin.000003", offset: 484))

    /// A customers row as in Debezium's MySQL tutorial, with sluice's TABLE_MAP types.
    private func customer(_ kind: RowChange.Kind, email: String = "annek@noanswer.org", old: String? = nil) -> RowChange
    {
        let columns = ["id", "first_name", "last_name", "email"]
        let types = [
            ColumnDefinition(type: .long), ColumnDefinition(type: .varchar, metadata: 1020, collation: 45),
            ColumnDefinition(type: .varchar, metadata: 1020, collation: 45),
            ColumnDefinition(type: .varchar, metadata: 1020, collation: 45),
        ]
        let row: [ColumnValue] = [.int(1004), .string("Anne"), .string("Kretchmar"), .string(email)]
        var before = row
        if let old { before[3] = .string(old) }
        return RowChange(
            database: "inventory", table: "customers", kind: kind, columns: columns,
            before: kind == .insert ? nil : before, after: kind == .delete ? nil : row,
            gtid: MariaDBGTID(domain: 0, serverID: 223_344, sequence: 17), ordinal: 0,
            position: BinlogPosition(file: "mysql-bin.000003", offset: 154), primaryKey: [0], columnTypes: types)
    }

    private func json(_ bytes: [UInt8]?) throws -> NSDictionary {
        let object = try JSONSerialization.jsonObject(with: Data(bytes ?? []), options: [.fragmentsAllowed])
        return try XCTUnwrap(object as? NSDictionary)
    }

    private func json(_ text: String) throws -> NSDictionary { try json(Array(text.utf8)) }

    /// An insert as the Debezium MySQL connector documents it (schemas disabled): envelope,
    /// `source` block, `op` "c", the key as an object of the primary key.
    func testDebeziumInsertMatchesTheDocumentedEvent() throws {
        let context = KafkaChangeMessage.Context(
            format: .debezium, serverName: "mysql-server-1", version: "2.7.0.Final", processedMS: 1_700_000_000_123)
        let m = KafkaChangeMessage(
            change: customer(.insert), origin: origin, version: "7", topic: "t", context: context)
        let reference = """
            {"before": null,
             "after": {"id": 1004, "first_name": "Anne", "last_name": "Kretchmar", "email": "annek@noanswer.org"},
             "source": {"version": "2.7.0.Final", "connector": "mysql", "name": "mysql-server-1",
                        "ts_ms": 1700000000000, "snapshot": "false", "db": "inventory", "table": "customers",
                        "server_id": 223344, "gtid": "0-223344-17", "file": "mysql-bin.000003", "pos": 154, "row": 0},
             "op": "c", "ts_ms": 1700000000123, "transaction": null}
            """
        XCTAssertEqual(try json(m.value), try json(reference))
        XCTAssertEqual(try json(m.key), try json(#"{"id": 1004}"#))
        XCTAssertTrue(m.headers.contains { $0 == ("sluice.format", "debezium") })
        XCTAssertTrue(m.headers.contains { $0 == ("sluice.version", "7") })
        // Update and delete: "u" with both images, "d" with the before image only.
        let u = KafkaChangeMessage(
            change: customer(.update, old: "a@b"), origin: origin, version: "8", topic: "t", context: context)
        XCTAssertEqual(try json(u.value)["op"] as? String, "u")
        XCTAssertEqual((try json(u.value)["before"] as? NSDictionary)?["email"] as? String, "a@b")
        let d = KafkaChangeMessage(
            change: customer(.delete), origin: origin, version: "9", topic: "t", context: context)
        XCTAssertEqual(try json(d.value)["op"] as? String, "d")
        XCTAssertTrue(try json(d.value)["after"] is NSNull)
        var snapshot = context
        snapshot.snapshot = true
        let r = KafkaChangeMessage(
            change: customer(.insert), origin: origin, version: "7", topic: "t", context: snapshot)
        XCTAssertEqual(try json(r.value)["op"] as? String, "r")
        XCTAssertEqual((try json(r.value)["source"] as? NSDictionary)?["snapshot"] as? String, "true")
    }

    /// An update as canal-kafka writes it with `flatMessage = true`: `old` holds only the changed
    /// columns' previous values, every value is text, `mysqlType` and `sqlType` per column.
    func testCanalUpdateMatchesTheDocumentedFlatMessage() throws {
        let context = KafkaChangeMessage.Context(format: .canal, processedMS: 1_700_000_000_456)
        let m = KafkaChangeMessage(
            change: customer(.update, email: "anne@example.com", old: "annek@noanswer.org"), origin: origin,
            version: "8", topic: "t", context: context)
        let reference = """
            {"data": [{"id": "1004", "first_name": "Anne", "last_name": "Kretchmar", "email": "anne@example.com"}],
             "database": "inventory", "es": 1700000000000, "gtid": "0-223344-17", "id": 484, "isDdl": false,
             "mysqlType": {"id": "int", "first_name": "varchar", "last_name": "varchar", "email": "varchar"},
             "old": [{"email": "annek@noanswer.org"}], "pkNames": ["id"], "sql": "",
             "sqlType": {"id": 4, "first_name": 12, "last_name": 12, "email": 12},
             "table": "customers", "ts": 1700000000456, "type": "UPDATE"}
            """
        XCTAssertEqual(try json(m.value), try json(reference))
        let text = String(decoding: m.value ?? [], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"data":[{"id":"1004","#), "members in Canal's alphabetical order: \(text)")
        let i = KafkaChangeMessage(
            change: customer(.insert), origin: origin, version: "7", topic: "t", context: context)
        XCTAssertEqual(try json(i.value)["type"] as? String, "INSERT")
        let snapshot = KafkaChangeMessage(
            change: customer(.insert), origin: origin, version: "7", topic: "t",
            context: .init(format: .canal, processedMS: 1, snapshot: true))
        XCTAssertEqual(try json(snapshot.value)["type"] as? String, "INSERT", "Canal has no snapshot type")
        XCTAssertTrue(try json(i.value)["old"] is NSNull)
        let d = KafkaChangeMessage(
            change: customer(.delete), origin: origin, version: "9", topic: "t", context: context)
        XCTAssertEqual(try json(d.value)["type"] as? String, "DELETE")
        XCTAssertEqual(
            ((try json(d.value)["data"] as? NSArray)?.firstObject as? NSDictionary)?["id"] as? String, "1004")
    }

    /// Debezium's value encodings under decimal.handling.mode=string and time.precision.mode=connect.
    func testDebeziumValueEncodingsPerType() {
        func encoded(_ v: ColumnValue, _ type: ColumnDefinition) -> String {
            var out = ""
            DebeziumEvent.append(v, type: ColumnTypeText.text(type), into: &out)
            return out
        }
        XCTAssertEqual(
            encoded(.decimal("-1234.500"), ColumnDefinition(type: .newdecimal, metadata: 10 << 8 | 3)), #""-1234.500""#)
        XCTAssertEqual(encoded(.date(MySQLDate(year: 2018, month: 6, day: 20)), ColumnDefinition(type: .date)), "17702")
        XCTAssertEqual(encoded(.date(MySQLDate(year: 0, month: 0, day: 0)), ColumnDefinition(type: .date)), "null")
        XCTAssertEqual(
            encoded(
                .datetime(
                    MySQLDateTime(
                        year: 2018, month: 6, day: 20, hour: 6, minute: 37, second: 3, microseconds: 0, fsp: 0)),
                ColumnDefinition(type: .datetime2)), "1529476623000")
        XCTAssertEqual(
            encoded(
                .timestamp(MySQLTimestamp(seconds: 1_529_501_823, microseconds: 0, fsp: 0)),
                ColumnDefinition(type: .timestamp2)),
            #""2018-06-20T13:37:03Z""#)
        XCTAssertEqual(
            encoded(
                .time(MySQLTime(negative: false, hours: 1, minutes: 2, seconds: 3, microseconds: 456_000, fsp: 3)),
                ColumnDefinition(type: .time2, metadata: 3)), "3723456")
        XCTAssertEqual(encoded(.bit(1), ColumnDefinition(type: .bit, metadata: 1)), "true")
        XCTAssertEqual(
            encoded(.bit(0x0102), ColumnDefinition(type: .bit, metadata: 0x0104)), #""AgE=""#,
            "BIT(12): little-endian bytes")
        XCTAssertEqual(
            encoded(.bytes([0xDE, 0xAD]), ColumnDefinition(type: .blob, metadata: 2, collation: 63)), #""3q0=""#)
        XCTAssertEqual(
            encoded(.set(bits: 5, names: ["a", "c"]), ColumnDefinition(type: .string, metadata: 0xF801)), #""a,c""#)
        XCTAssertEqual(encoded(.json(#"{"a":1}"#), ColumnDefinition(type: .json, metadata: 4)), #""{\"a\":1}""#)
        XCTAssertEqual(
            encoded(.geometry([0xE6, 0x10, 0, 0, 1, 2]), ColumnDefinition(type: .geometry, metadata: 4)),
            #"{"wkb":"AQI=","srid":4326}"#)
        XCTAssertEqual(
            encoded(.uint(18_446_744_073_709_551_615), ColumnDefinition(type: .longlong, unsigned: true)),
            "18446744073709551615")
    }

    /// Every value kind, in every format, read back by the DR decoder, gives the primary sink's writes.
    func testEveryFormatReadsBackIntoThePrimarySinksWrites() throws {
        let columns = [
            "id", "big", "f", "d", "dec", "day", "at", "ts", "clock", "bin", "color", "tags", "doc", "txt",
            "flag", "bits", "yr", "none", "version",
        ]
        let types = [
            ColumnDefinition(type: .long), ColumnDefinition(type: .longlong, unsigned: true),
            ColumnDefinition(type: .float),
            ColumnDefinition(type: .double), ColumnDefinition(type: .newdecimal, metadata: 10 << 8 | 3),
            ColumnDefinition(type: .date), ColumnDefinition(type: .datetime2, metadata: 3),
            ColumnDefinition(type: .timestamp2, metadata: 6), ColumnDefinition(type: .time2),
            ColumnDefinition(type: .blob, metadata: 2, collation: 63),
            ColumnDefinition(type: .string, metadata: 0xF701),
            ColumnDefinition(type: .string, metadata: 0xF801), ColumnDefinition(type: .json, metadata: 4),
            ColumnDefinition(type: .varchar, metadata: 400, collation: 45), ColumnDefinition(type: .bit, metadata: 1),
            ColumnDefinition(type: .bit, metadata: 0x0104), ColumnDefinition(type: .year),
            ColumnDefinition(type: .varchar, metadata: 400, collation: 45), ColumnDefinition(type: .long),
        ]
        let row: [ColumnValue] = [
            .int(-5), .uint(18_446_744_073_709_551_615), .float(3.4028235e+38), .double(0.1), .decimal("-0.500"),
            .date(MySQLDate(year: 1969, month: 2, day: 28)),
            .datetime(
                MySQLDateTime(
                    year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, microseconds: 123_000, fsp: 3)),
            .timestamp(MySQLTimestamp(seconds: 1_700_000_001, microseconds: 654_321, fsp: 6)),
            .time(MySQLTime(negative: true, hours: 838, minutes: 59, seconds: 59, microseconds: 0, fsp: 0)),
            .bytes([0xDE, 0xAD, 0x00, 0xEF]), .enumValue(index: 3, name: "c"), .set(bits: 5, names: ["x", "z"]),
            .json(#"{"a": 1.50, "bb": [true, null, "x"]}"#), .string("q\"\\\n😀\u{01}"), .bit(1), .bit(0xABC),
            .year(2024),
            .null, .int(8),
        ]
        var before = row
        before[18] = .int(7)
        before[13] = .string("older")
        let change = RowChange(
            database: "shop", table: "items", kind: .update, columns: columns, before: before, after: row,
            gtid: MariaDBGTID(domain: 0, serverID: 7, sequence: 99), ordinal: 2,
            position: BinlogPosition(file: "bin.000009", offset: 4_000), primaryKey: [0], columnTypes: types)
        guard case .success(let template) = KeyTemplate.parse("item:{id}:{color}:{tags}") else {
            return XCTFail("template")
        }
        let shapes: [TableMapping.Shape] = [.hash(columns: []), .json(columns: []), .string(column: "doc")]
        for format in KafkaConfig.MessageFormat.allCases {
            let m = KafkaChangeMessage(
                change: change, origin: origin, version: "8", topic: "t", context: .init(format: format))
            let decoded = try DRChange(
                topic: "t", partition: 0, offset: 3, value: m.value,
                headers: m.headers.map { ($0.name, Array($0.value.utf8)) })
            XCTAssertEqual(decoded.version, "8", "\(format)")
            XCTAssertEqual(decoded.gtid, "0-223344-17", "\(format)")
            XCTAssertEqual(decoded.commitTime, 1_700_000_000, "\(format)")
            XCTAssertEqual(decoded.end, origin.end, "\(format)")
            XCTAssertEqual(decoded.change.kind, .update, "\(format)")
            XCTAssertEqual(decoded.change.position, BinlogPosition(file: "bin.000009", offset: 4_000), "\(format)")
            for shape in shapes {
                let mapping = TableMapping(
                    database: "shop", table: "items", key: template, shape: shape, version: .column("version"))
                XCTAssertEqual(
                    try mapping.writes(for: decoded.change), try mapping.writes(for: change), "\(format) \(shape)")
            }
            XCTAssertEqual(decoded.change.before?[13], .string("older"), "\(format): the before image")
        }
    }

    /// Tombstones: a null-value message with the delete's key right after it; the DR decoder
    /// recognises it as a tombstone (the applier passes over it).
    func testTombstoneFollowsEachDelete() throws {
        for format in KafkaConfig.MessageFormat.allCases {
            let sink = KafkaSink(
                settings: .init(properties: [:], format: format, tombstones: true), mappings: [], logger: .events { _ in })
            let m = try sink.messages(for: [customer(.insert), customer(.delete)], origin: origin)
            XCTAssertEqual(m.count, 3, "\(format)")
            XCTAssertNotNil(m[1].value)
            XCTAssertNil(m[2].value, "\(format): the tombstone has no value")
            XCTAssertEqual(m[2].key, m[1].key, "\(format): the tombstone has the delete's key")
            XCTAssertTrue(DRChange.isTombstone(value: m[2].value))
        }
    }

    func testTopicTemplate() {
        var settings = KafkaSink.Settings(properties: [:], topicPrefix: "cdc.")
        settings.topicTemplate = "{table}.from.{db}"
        XCTAssertEqual(
            KafkaSink(settings: settings, mappings: [], logger: .events { _ in }).topic(for: customer(.insert)),
            "cdc.customers.from.inventory")
    }

    /// Transaction metadata: the transaction id and the event's order in it, and in its table.
    func testTransactionMetadataNumbersEventsAcrossChunks() throws {
        let sink = KafkaSink(
            settings: .init(properties: [:], format: .debezium, transactionMetadata: true), mappings: [], logger: .events { _ in })
        var a = customer(.insert)
        var b = customer(.insert)
        b.table = "orders"
        var c = customer(.update, old: "x")
        a.ordinal = 0
        b.ordinal = 1
        c.ordinal = 2
        let first = try sink.messages(for: [a, b], origin: origin)
        let second = try sink.messages(for: [c], origin: origin)  // a later chunk of the same transaction
        let blocks = try (first + second).map { try XCTUnwrap(try json($0.value)["transaction"] as? NSDictionary) }
        XCTAssertEqual(blocks.map { $0["id"] as? String }, Array(repeating: "0-223344-17", count: 3))
        XCTAssertEqual(blocks.map { $0["total_order"] as? Int }, [1, 2, 3])
        XCTAssertEqual(blocks.map { $0["data_collection_order"] as? Int }, [1, 1, 2])
    }
}

/// Column exclusion, masking and key columns (`KafkaColumnRules`), in every format.
final class KafkaColumnRulesTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(
            SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testExcludedAndMaskedValuesNeverReachTheMessage() throws {
        let rules = KafkaColumnRules(
            exclude: ["cvv"], mask: ["pan": .keepLast(4), "email": .hash], keyColumns: ["account_id"], salt: "pepper")
        let change = RowChange(
            database: "pay", table: "cards", kind: .update, columns: ["id", "account_id", "pan", "cvv", "email"],
            before: [.int(1), .int(77), .string("4111111111111111"), .string("123"), .string("a@x.org")],
            after: [.int(1), .int(77), .string("4111111111111111"), .string("123"), .null],
            position: BinlogPosition(file: "b.1", offset: 4), primaryKey: [0],
            columnTypes: [
                ColumnDefinition(type: .long), ColumnDefinition(type: .long),
                ColumnDefinition(type: .varchar, collation: 45), ColumnDefinition(type: .varchar, collation: 45),
                ColumnDefinition(type: .varchar, collation: 45),
            ])
        let (shown, key) = rules.apply(to: change)
        XCTAssertEqual(shown.columns, ["id", "account_id", "pan", "email"])
        XCTAssertEqual(shown.after?[2], .string("************1111"))
        XCTAssertEqual(shown.before?[3], .string(SHA256.hex(Array("peppera@x.org".utf8))))
        XCTAssertEqual(shown.after?[3], .null, "NULL stays NULL")
        XCTAssertEqual(shown.primaryKey, [0])
        XCTAssertEqual(key, [1])
        let origin = KafkaChangeMessage.Origin(
            serverID: 1, gtid: nil, timestamp: 1, end: BinlogPosition(file: "b.1", offset: 9))
        for format in KafkaConfig.MessageFormat.allCases {
            var settings = KafkaSink.Settings(properties: [:], format: format)
            settings.tables["pay.cards"] = rules
            let sink = KafkaSink(settings: settings, mappings: [], logger: .events { _ in })
            let m = try XCTUnwrap(try sink.messages(for: [change], origin: origin).first)
            let bytes = String(
                decoding: (m.value ?? []) + m.key + m.headers.flatMap { Array($0.value.utf8) }, as: UTF8.self)
            for secret in ["4111111111111111", "123", "a@x.org", "cvv"] {
                XCTAssertFalse(bytes.contains(secret), "\(format): \(secret) reached the message: \(bytes)")
            }
            XCTAssertTrue(bytes.contains("************1111"), "\(format)")
            XCTAssertTrue(String(decoding: m.key, as: UTF8.self).contains("77"), "\(format): keyed on account_id")
        }
    }
}
