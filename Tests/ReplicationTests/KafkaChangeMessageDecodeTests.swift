import Binlog
import Ops
import RedisCluster
import XCTest

@testable import Replication

/// The Kafka message decoder is the encoder's inverse where it matters: the DR cluster must get
/// byte for byte the writes the primary sink makes from the original row change.
final class KafkaChangeMessageDecodeTests: XCTestCase {
    private let origin = KafkaChangeMessage.Origin(
        serverID: 7, gtid: "0-7-99", timestamp: 1_700_000_123, end: BinlogPosition(file: "bin.000009", offset: 4_444))

    private func template(_ s: String) throws -> KeyTemplate {
        guard case .success(let t) = KeyTemplate.parse(s) else { throw XCTSkip("bad template \(s)") }
        return t
    }

    private func decode(_ m: KafkaChangeMessage, offset: Int64 = 12) throws -> DRChange {
        try DRChange(topic: m.topic, partition: 1, offset: offset, value: m.value,
                     headers: m.headers.map { ($0.name, Array($0.value.utf8)) })
    }

    /// Every value kind the change-event JSON writes, through all three shapes.
    func testWritesFromDecodedMessagesEqualTheOriginals() throws {
        let columns = ["id", "big", "f", "d", "dec", "day", "at", "bin", "color", "tags", "doc", "txt", "none", "version"]
        let row: [ColumnValue] = [
            .int(-5), .uint(18_446_744_073_709_551_615), .float(3.4028235e+38), .double(0.1), .decimal("-0.500"),
            .date(MySQLDate(year: 2024, month: 2, day: 29)),
            .datetime(MySQLDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, microseconds: 123_000, fsp: 3)),
            .bytes([0xDE, 0xAD, 0xBE, 0xEF]), .enumValue(index: 3, name: "c"), .set(bits: 5, names: ["x", "z"]),
            .json(#"{"a": 1.50, "bb": [true, null, "x"]}"#), .string("q\"\\\n😀\u{01}"), .null, .int(8),
        ]
        var before = row
        before[13] = .int(7)
        let change = RowChange(
            database: "shop", table: "items", kind: .update, columns: columns, before: before, after: row,
            gtid: MariaDBGTID(domain: 0, serverID: 7, sequence: 99), ordinal: 2,
            position: BinlogPosition(file: "bin.000009", offset: 4_000), primaryKey: [0])
        let shapes: [TableMapping.Shape] = [.hash(columns: []), .json(columns: []), .string(column: "doc"), .string(column: "f")]
        for shape in shapes {
            let mapping = TableMapping(database: "shop", table: "items", key: try template("item:{id}:{color}:{tags}"),
                                       shape: shape, version: .column("version"))
            let version = "8"
            let message = KafkaChangeMessage(change: change, origin: origin, version: version, topic: "sluice.shop.items")
            let decoded = try decode(message)
            XCTAssertEqual(try mapping.writes(for: decoded.change), try mapping.writes(for: change), "\(shape)")
            XCTAssertEqual(decoded.version, "8")
            XCTAssertEqual(decoded.commitTime, 1_700_000_123)
            XCTAssertEqual(decoded.gtid, "0-7-99")
            XCTAssertEqual(decoded.end, BinlogPosition(file: "bin.000009", offset: 4_444))
            XCTAssertEqual(decoded.change.position, BinlogPosition(file: "bin.000009", offset: 4_000))
            XCTAssertEqual(decoded.change.kind, .update)
            XCTAssertEqual(decoded.place, "sluice.shop.items[1]@12")
        }
    }

    func testDeleteAndInsertImages() throws {
        let del = RowChange(database: "a", table: "b", kind: .delete, columns: ["id", "v"], before: [.int(1), .int(4)])
        let d = try decode(KafkaChangeMessage(change: del, origin: origin, version: "5", topic: "t"))
        XCTAssertNil(d.change.after)
        XCTAssertEqual(d.change.before, [.int(1), .int(4)])
        XCTAssertEqual(d.change.kind, .delete)
        let ins = RowChange(database: "a", table: "b", kind: .insert, columns: ["id", "v"], after: [.int(2), .null])
        let noGTID = KafkaChangeMessage.Origin(serverID: 1, gtid: nil, timestamp: 5, end: BinlogPosition(file: "f", offset: 9))
        let i = try decode(KafkaChangeMessage(change: ins, origin: noGTID, version: nil, topic: "t"))
        XCTAssertEqual(i.change.after, [.int(2), .null])
        XCTAssertNil(i.version)
        XCTAssertNil(i.gtid)
        XCTAssertNil(i.change.gtid)
    }

    func testMalformedMessagesAreTypedErrorsWithTheirPlace() throws {
        let ins = RowChange(database: "a", table: "b", kind: .insert, columns: ["id"], after: [.int(2)])
        let good = KafkaChangeMessage(change: ins, origin: origin, version: "1", topic: "t")
        let headers = good.headers.map { ($0.name, Optional(Array($0.value.utf8))) }
        func failure(_ value: [UInt8]?, _ hs: [(String, [UInt8]?)]) -> DRError? {
            do {
                _ = try DRChange(topic: "t", partition: 0, offset: 3, value: value, headers: hs)
                return nil
            } catch { return error }
        }
        let cases: [([UInt8]?, [(String, [UInt8]?)], String)] = [
            (nil, headers, "no value"),
            (Array("{\"op\":".utf8), headers, "not JSON"),
            (Array(String(decoding: (good.value ?? []), as: UTF8.self).replacingOccurrences(of: "insert", with: "upsert").utf8), headers, "op"),
            ((good.value ?? []), headers.filter { $0.0 != "sluice.end" }, "sluice.end"),
            (Array(String(decoding: (good.value ?? []), as: UTF8.self).replacingOccurrences(of: #""version":"1""#, with: #""version":"1x""#).utf8), headers, "version"),
            (Array(String(decoding: (good.value ?? []), as: UTF8.self).replacingOccurrences(of: #""after":{"id":2}"#, with: #""after":null"#).utf8), headers, "without a row image"),
            ((good.value ?? []) + [0x20, 0x7B], headers, "trailing"),
        ]
        for (value, hs, expected) in cases {
            let e = failure(value, hs)
            XCTAssertEqual(e?.code, .badMessage, expected)
            XCTAssertEqual(e?.place, "t[0]@3")
            XCTAssertTrue(e?.description.contains(expected) ?? false, "\(expected): \(String(describing: e))")
        }
        XCTAssertNil(failure((good.value ?? []), headers))
    }

    func testJSONParserKeepsRawTextAndRejectsBadInput() throws {
        let n = try JSONNode.parse(Array(#" {"a": [1.50, -2e3, "\u00e9\ud83d\ude00"], "b": {}} "#.utf8))
        XCTAssertEqual(n["a"]?.raw, #"[1.50, -2e3, "\u00e9\ud83d\ude00"]"#)
        guard case .array(let items)? = n["a"]?.content else { return XCTFail("array") }
        XCTAssertEqual(items[2].content, .string("é😀"))
        XCTAssertEqual(DRChange.columnValue(items[0]), .json("1.50"))
        XCTAssertEqual(DRChange.columnValue(try JSONNode.parse(Array("18446744073709551615".utf8))), .uint(18_446_744_073_709_551_615))
        XCTAssertEqual(DRChange.columnValue(try JSONNode.parse(Array(#"["x", "z"]"#.utf8))), .json(#"["x", "z"]"#))
        for bad in ["", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"a\u{01}\"", "01x", "-", "1.", "nul", "[" + String(repeating: "[", count: 70)] {
            XCTAssertThrowsError(try JSONNode.parse(Array(bad.utf8)), bad)
        }
    }
}
