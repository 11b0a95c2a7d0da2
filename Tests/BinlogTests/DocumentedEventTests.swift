import XCTest
@testable import Binlog

/// Events no captured file holds (MySQL 8 only, or replication-stream only), built byte by byte
/// from the MySQL source documentation (libbinlogevents: rows_event.h, control_events.h) and
/// MariaDB's log_event.h. Each test says which layout it follows.
final class DocumentedEventTests: XCTestCase {
    private func le(_ v: UInt64, _ n: Int) -> [UInt8] { EventBytes.le(v, n) }

    /// TABLE_MAP for `db`.`t` (id INT, doc JSON NULL): table id (6), flags (2), names, 2 columns,
    /// types LONG (3) and JSON (245), metadata block [4] (JSON length-prefix size), NULL bitmap.
    private func tableMap(id: UInt64) -> [UInt8] {
        le(id, 6) + le(1, 2) + [2] + Array("db".utf8) + [0] + [1] + Array("t".utf8) + [0]
            + [2, 3, 245] + [1, 4] + [0x02]
    }

    /// PARTIAL_UPDATE_ROWS_EVENT (39), rows v2 layout: table id, flags, extra-data length 2, column
    /// count, before and after bitmaps; per row: before image, then `value_options` (packed) and,
    /// with PARTIAL_JSON_UPDATES (1), a bitmap over the image's JSON columns, then the after image.
    private func partialUpdate(id: UInt64, options: [UInt8]) -> [UInt8] {
        le(id, 6) + le(1, 2) + le(2, 2) + [2, 0x03, 0x03]
            + [0x02] + le(7, 4)  // before: doc NULL, id = 7
            + options + [0x02] + le(8, 4)  // after: doc NULL, id = 8
    }

    func testPartialUpdateRowsWithoutDiffsDecodes() throws {
        var d = EventDecoder(file: "mysql-bin.000009")
        _ = try d.decode(EventBytes.event(type: 19, body: tableMap(id: 42)), position: 100)
        let plain = try d.decode(EventBytes.event(type: 39, body: partialUpdate(id: 42, options: [0x00])), position: 200)
        guard case .rows(let r) = plain.body else { return XCTFail("not rows") }
        XCTAssertEqual(r.kind, .update)
        XCTAssertEqual(r.before, [.int(7), .null])
        XCTAssertEqual(r.after, [.int(8), .null])
        // PARTIAL_JSON_UPDATES with the JSON column's bit clear: the after image is a plain one.
        let noDiff = try d.decode(EventBytes.event(type: 39, body: partialUpdate(id: 42, options: [0x01, 0x00])), position: 300)
        guard case .rows(let r2) = noDiff.body else { return XCTFail("not rows") }
        XCTAssertEqual(r2.after, [.int(8), .null])
    }

    func testRowsForAnUnknownTableIdFail() {
        var d = EventDecoder(file: "f")
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 39, body: partialUpdate(id: 5, options: [0])), position: 4)) { e in
            XCTAssertTrue("\(e)".contains("rows for table id 5, which no TABLE_MAP announced"), "\(e)")
        }
    }

    /// Serialization-library varlen integers, against the examples of MySQL's
    /// libs/mysql/serialization/readme.md ("Variable-length integers"): unsigned 65535 is
    /// 00000111 11111111 11111011 (bytes shown big-endian), signed 65535 00001111 11111111 11110011,
    /// -65535 00001111 11111111 11101011, -65536 00001111 11111111 11111011.
    func testSerializationVarlenIntegersMatchTheDocumentedExamples() throws {
        var u = ByteReader([0xFB, 0xFF, 0x07])
        XCTAssertEqual(try u.readVarlenUInt(), 65535)
        for (bytes, value) in [([UInt8(0xF3), 0xFF, 0x0F], Int64(65535)), ([0xEB, 0xFF, 0x0F], -65535), ([0xFB, 0xFF, 0x0F], -65536)] {
            var r = ByteReader(bytes)
            XCTAssertEqual(try GtidTaggedEvent.signed(&r, "x"), value)
            XCTAssertTrue(r.isAtEnd)
        }
        XCTAssertEqual(Self.varlen(65535), [0xFB, 0xFF, 0x07])
        XCTAssertEqual(Self.varlen(Self.zigzag(-65536)), [0xFB, 0xFF, 0x0F])
    }

    /// Encodes per the readme: n bytes hold (value << n) | (n - 1 trailing ones); 9 bytes: 0xFF + 8.
    static func varlen(_ v: UInt64) -> [UInt8] {
        for n in 1...8 where n * 7 >= 64 - v.leadingZeroBitCount {
            let word = v << UInt64(n) | (UInt64(1) << UInt64(n - 1) - 1)
            return (0..<n).map { UInt8(truncatingIfNeeded: word >> UInt64(8 * $0)) }
        }
        return [0xFF] + (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) }
    }

    static func zigzag(_ x: Int64) -> UInt64 { x >= 0 ? UInt64(x) << 1 : UInt64(-(x + 1)) << 1 | 1 }

    /// GTID_TAGGED_LOG_EVENT (42, MySQL 8.3+), built from the serialization readme's message format
    /// (version, size, last non-ignorable field id, then (field id, value) pairs) and the fields of
    /// `Gtid_event` (0 flags, 1 uuid as 16 varlen bytes, 2 gno, 3 tag, 4 last_committed,
    /// 5 sequence_number, 6 immediate commit timestamp, 8 transaction length, 9 immediate server
    /// version; 7 and 10 left out as MySQL does when they equal 6 and 9).
    func testTaggedGtidDecodes() throws {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let uuidBytes: [UInt8] = [0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62]
        var fields: [UInt8] = Self.varlen(0) + Self.varlen(1)
        fields += Self.varlen(1) + uuidBytes.flatMap { Self.varlen(UInt64($0)) }
        fields += Self.varlen(2) + Self.varlen(Self.zigzag(42))
        fields += Self.varlen(3) + Self.varlen(7) + Array("batch_1".utf8)
        fields += Self.varlen(4) + Self.varlen(Self.zigzag(7)) + Self.varlen(5) + Self.varlen(Self.zigzag(8))
        fields += Self.varlen(6) + Self.varlen(1_700_000_000_000_000)
        fields += Self.varlen(8) + Self.varlen(300) + Self.varlen(9) + Self.varlen(80400)
        let body = Self.varlen(0) + Self.varlen(UInt64(fields.count + 2)) + Self.varlen(9) + fields
        var d = EventDecoder(file: "binlog.000001")
        let g = try gtid(d.decode(EventBytes.event(type: 42, body: body), position: 4))
        XCTAssertEqual(g.flags, 1)
        check(g, "\(uuid):batch_1:42", clock: (7, 8), commit: (1_700_000_000_000_000, 1_700_000_000_000_000), length: 300,
              server: (80400, 80400))

        // Every prefix of the body is an error, never a trap.
        for n in 0..<body.count {
            XCTAssertThrowsError(try d.decode(EventBytes.event(type: 42, body: Array(body.prefix(n))), position: 4), "prefix \(n)")
        }
        // A field this decoder does not know: its size is unknown, so it is refused by name.
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 42, body: body + Self.varlen(12) + [0]), position: 4)) { e in
            XCTAssertTrue("\(e)".contains("tagged GTID field 12 is unknown"), "\(e)")
        }
    }

    /// HEARTBEAT_LOG_EVENT (27): the file name as the body, the position in the header's next-position
    /// field (MySQL and MariaDB). HEARTBEAT_LOG_EVENT_V2 (41, MySQL 8.0.26+): (type, length, value)
    /// fields with packed integers: 1 = file name, 2 = position (packed), 0 = end.
    func testHeartbeatV1AndV2() throws {
        var d = EventDecoder(file: "")
        let v1 = try d.decode(EventBytes.event(type: 27, body: Array("bin.000007".utf8), next: 12345), position: 0)
        XCTAssertEqual(v1.body, .heartbeat(HeartbeatEvent(file: "bin.000007", position: 12345)))
        let v2Body: [UInt8] = [1, 10] + Array("bin.000008".utf8) + [2, 3, 0xFC, 0x39, 0x30] + [0]
        let v2 = try d.decode(EventBytes.event(type: 41, body: v2Body), position: 0)
        XCTAssertEqual(v2.body, .heartbeat(HeartbeatEvent(file: "bin.000008", position: 12345)))
    }

    func testUnknownTypesAreCountedNeverParsed() throws {
        var d = EventDecoder(file: "")
        for _ in 0..<3 {
            let e = try d.decode(EventBytes.event(type: 200, body: [1, 2, 3]), position: 4)
            XCTAssertEqual(e.body, .unknown(type: 200))
        }
        _ = try d.decode(EventBytes.event(type: 28, body: []), position: 4)  // IGNORABLE_LOG_EVENT
        XCTAssertEqual(d.unknownCounts, [200: 3, 28: 1])
    }

    /// MySQL GTID_LOG_EVENT (33) as 8.0.28 writes it: flags, uuid, gno, logical clock (2), last
    /// committed, sequence number, immediate commit timestamp (7, top bit set: original follows),
    /// original commit timestamp (7), transaction length (packed), immediate server version (4).
    func testMySQL8GtidAllFields() throws {
        let uuid: [UInt8] = [0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62]
        let body: [UInt8] = [1] + uuid + le(23, 8) + [2] + le(5, 8) + le(6, 8)
            + le(1_700_000_000_000_001 | (1 << 55), 7) + le(1_700_000_000_000_000, 7) + [0xFC, 0x10, 0x01] + le(80028, 4)
        var d = EventDecoder(file: "")
        let g = try gtid(d.decode(EventBytes.event(type: 33, body: body), position: 4))
        check(g, "3e11fa47-71ca-11e1-9e33-c80aa9429562:23", clock: (5, 6),
              commit: (1_700_000_000_000_001, 1_700_000_000_000_000), length: 272, server: (80028, 80028))
    }

    private func gtid(_ e: Event) throws -> MySQLGtidEvent {
        guard case .mysqlGtid(let g) = e.body else { throw BinlogError(.malformed, "not a GTID: \(e.body)") }
        return g
    }

    private func check(
        _ g: MySQLGtidEvent, _ text: String, clock: (UInt64, UInt64), commit: (UInt64, UInt64), length: UInt64,
        server: (UInt32, UInt32), line: UInt = #line
    ) {
        XCTAssertEqual(g.gtidText, text, line: line)
        XCTAssertEqual(g.lastCommitted, clock.0, line: line)
        XCTAssertEqual(g.sequenceNumber, clock.1, line: line)
        XCTAssertEqual(g.immediateCommitTimestamp, commit.0, line: line)
        XCTAssertEqual(g.originalCommitTimestamp, commit.1, line: line)
        XCTAssertEqual(g.transactionLength, length, line: line)
        XCTAssertEqual(g.immediateServerVersion, server.0, line: line)
        XCTAssertEqual(g.originalServerVersion, server.1, line: line)
    }
}
