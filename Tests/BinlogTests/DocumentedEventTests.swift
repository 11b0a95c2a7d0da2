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

    /// GTID_TAGGED_LOG_EVENT (42, MySQL 8.3+): recognised and refused with a clear error.
    func testTaggedGtidIsRefused() {
        var d = EventDecoder(file: "binlog.000001")
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 42, body: [0x02, 0x76, 0x01, 0x00]), position: 4)) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "binlog.000001:4: GTID_TAGGED_LOG_EVENT: tagged GTID (MySQL 8.4 GTID_TAGGED_LOG_EVENT) not supported (at byte 19 of the event)")
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
        let e = try d.decode(EventBytes.event(type: 33, body: body), position: 4)
        guard case .mysqlGtid(let g) = e.body else { return XCTFail("not a GTID") }
        XCTAssertEqual(g.gtidText, "3e11fa47-71ca-11e1-9e33-c80aa9429562:23")
        XCTAssertEqual(g.lastCommitted, 5)
        XCTAssertEqual(g.sequenceNumber, 6)
        XCTAssertEqual(g.immediateCommitTimestamp, 1_700_000_000_000_001)
        XCTAssertEqual(g.originalCommitTimestamp, 1_700_000_000_000_000)
        XCTAssertEqual(g.transactionLength, 272)
        XCTAssertEqual(g.immediateServerVersion, 80028)
        XCTAssertEqual(g.originalServerVersion, 80028)
    }
}
