import XCTest
@testable import Binlog

/// PARTIAL_UPDATE_ROWS_EVENT (39) with JSON diffs (`binlog_row_value_options=PARTIAL_JSON`). No
/// captured file holds one (MySQL 8 only), so the bytes are built here from the format
/// documentation: the rows v2 layout (libbinlogevents rows_event.h), the shared image between the
/// before and after image (sql/rpl_record.h: value_options, then `partial_bits`, one bit per JSON
/// column of the table), MySQL's `Json_diff_vector` binary form (sql/json_diff.cc: 4-byte length,
/// per diff an operation byte, packed path length and path, for replace/insert a packed value
/// length and a binary-JSON value) and binary JSON (json_binary.h).
final class PartialJSONUpdateTests: XCTestCase {
    private func le(_ v: UInt64, _ n: Int) -> [UInt8] { EventBytes.le(v, n) }

    /// TABLE_MAP for `db`.`t` (id INT, a JSON, b JSON): types LONG, JSON, JSON; metadata [4, 4].
    private let tableMap: [UInt8] = EventBytes.le(42, 6) + EventBytes.le(1, 2) + [2] + Array("db".utf8) + [0]
        + [1] + Array("t".utf8) + [0] + [3, 3, 245, 245] + [2, 4, 4] + [0x06]

    /// Binary JSON: int16 5, the string "x", literal false, and the object {"k": true} (small form:
    /// count 1, size 12, key entry at offset 11 length 1, value entry literal true inlined).
    private let int5: [UInt8] = [0x05, 0x05, 0x00]
    private let stringX: [UInt8] = [0x0C, 0x01, 0x78]
    private let literalFalse: [UInt8] = [0x04, 0x02]
    private let objectKTrue: [UInt8] = [0x00, 1, 0, 12, 0, 11, 0, 1, 0, 0x04, 1, 0, 0x6B]

    private func diff(_ op: UInt8, _ path: String, _ value: [UInt8]?) -> [UInt8] {
        [op, UInt8(path.utf8.count)] + Array(path.utf8) + (value.map { [UInt8($0.count)] + $0 } ?? [])
    }

    private func vector(_ diffs: [UInt8]) -> [UInt8] { le(UInt64(diffs.count), 4) + diffs }
    private func document(_ doc: [UInt8]) -> [UInt8] { le(UInt64(doc.count), 4) + doc }

    /// Diffs of column a (replace $.a with 5, insert $.b[1] = {"k": true}) and column b (remove $.c).
    private var vectorA: [UInt8] { vector(diff(0, "$.a", int5) + diff(1, "$.b[1]", objectKTrue)) }
    private var vectorB: [UInt8] { vector(diff(2, "$.c", nil)) }

    /// Post-header, extra data (none), 3 columns, all present before and after.
    private var head: [UInt8] { le(42, 6) + le(1, 2) + le(2, 2) + [3, 0x07, 0x07] }

    /// Row 1: before (7, 1, "x"); shared image value_options 1, partial_bits 0b11; after: id 8 and
    /// diff vectors on both JSON columns.
    private var row1: [UInt8] {
        [0x00] + le(7, 4) + document([0x05, 0x01, 0x00]) + document(stringX)
            + [0x01, 0x03] + [0x00] + le(8, 4) + vectorA + vectorB
    }

    /// Row 2: only b's bit set (0b10): a is a full document (false), b a one-diff vector.
    private var row2: [UInt8] {
        [0x00] + le(9, 4) + document(int5) + document(stringX)
            + [0x01, 0x02] + [0x00] + le(9, 4) + document(literalFalse) + vector(diff(0, "$", stringX))
    }

    private func decoder() throws -> EventDecoder {
        var d = EventDecoder(file: "mysql-bin.000009")
        _ = try d.decode(EventBytes.event(type: 19, body: tableMap), position: 100)
        return d
    }

    func testDiffsOnTwoJSONColumnsDecodeExactly() throws {
        var d = try decoder()
        let e = try d.decode(EventBytes.event(type: 39, body: head + row1 + row2), position: 300)
        guard case .rows(let r) = e.body else { return XCTFail("not rows: \(e.body)") }
        XCTAssertEqual(r.kind, .update)
        XCTAssertEqual(r.rowCount, 2)
        XCTAssertEqual(Array(r.beforeRow(0)), [.int(7), .json("1"), .json(#""x""#)])
        XCTAssertEqual(Array(r.afterRow(0)), [
            .int(8),
            .jsonDiff([JSONDiff(.replace, path: "$.a", value: "5"),
                       JSONDiff(.insert, path: "$.b[1]", value: #"{"k": true}"#)]),
            .jsonDiff([JSONDiff(.remove, path: "$.c", value: nil)]),
        ])
        XCTAssertEqual(Array(r.beforeRow(1)), [.int(9), .json("5"), .json(#""x""#)])
        XCTAssertEqual(Array(r.afterRow(1)), [.int(9), .json("false"), .jsonDiff([JSONDiff(.replace, path: "$", value: #""x""#)])])
        XCTAssertEqual(r.afterRow(0)[1].jsonText,
                       #"{"json_diff":[{"op":"replace","path":"$.a","value":5},{"op":"insert","path":"$.b[1]","value":{"k": true}}]}"#)
        XCTAssertEqual(r.afterRow(0)[2].jsonText, #"{"json_diff":[{"op":"remove","path":"$.c"}]}"#)
    }

    /// Every truncation of the body is a typed error, except the two places where a shorter body is
    /// itself complete: right after the column bitmaps (no rows) and right after row 1.
    func testEveryPrefixIsATypedErrorNeverATrap() throws {
        var d = try decoder()
        let body = head + row1 + row2
        var errors = 0
        for n in 0..<body.count {
            do {
                let e = try d.decode(EventBytes.event(type: 39, body: Array(body[0..<n])), position: 300)
                guard case .rows(let r) = e.body else { return XCTFail("not rows at \(n)") }
                XCTAssertTrue((n == head.count && r.rowCount == 0) || (n == head.count + row1.count && r.rowCount == 1),
                              "prefix \(n) decoded \(r.rowCount) rows")
            } catch {
                // Typed: `decode` throws only BinlogError; each names the field it stopped at.
                XCTAssertNotNil(error.field, "prefix \(n): \(error)")
                errors += 1
            }
        }
        XCTAssertEqual(errors, body.count - 2)
    }

    func testMalformedOperationByteIsRefusedWithItsText() throws {
        var d = try decoder()
        var body = head + row1
        let opAt = head.count + 1 + 4 + 7 + 7 + 2 + 1 + 4 + 4  // first byte after vector a's length
        XCTAssertEqual(body[opAt], 0)
        body[opAt] = 7
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 39, body: body), position: 300)) { e in
            let err = e as? BinlogError
            XCTAssertEqual(err?.field?.code, .invalid)
            XCTAssertEqual(err?.description,
                           "mysql-bin.000009:300: PARTIAL_UPDATE_ROWS_EVENT: `db`.`t` column 2 (@2): JSON diff operation 7 (expected 0 replace, 1 insert, 2 remove) (at byte 62 of the event)")
        }
    }

    func testDiffsOverrunningTheVectorLengthAndBadFieldsAreErrors() throws {
        var d = try decoder()
        // Vector b claims 4 bytes but its remove diff needs 5: the path overruns the vector.
        var short = head + row1
        let bLengthAt = short.count - vectorB.count
        short[bLengthAt] = 4
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 39, body: short), position: 300)) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "mysql-bin.000009:300: PARTIAL_UPDATE_ROWS_EVENT: `db`.`t` column 3 (@3): JSON diff path: length 3, had 2 bytes of the diff vector (at byte 98 of the event)")
        }
        // A path that is not a JSON path.
        let badPath = head + [0x00] + le(7, 4) + document(int5) + document(stringX) + [0x01, 0x01, 0x00] + le(8, 4)
            + vector(diff(2, "a.b", nil)) + document(stringX)
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 39, body: badPath), position: 300)) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "mysql-bin.000009:300: PARTIAL_UPDATE_ROWS_EVENT: `db`.`t` column 2 (@2): JSON diff path \"a.b\" does not start with $ (at byte 64 of the event)")
        }
        // Unknown value options bits.
        let badOptions = head + [0x00] + le(7, 4) + document(int5) + document(stringX) + [0x02] + [0x00] + le(8, 4)
            + document(int5) + document(stringX)
        XCTAssertThrowsError(try d.decode(EventBytes.event(type: 39, body: badOptions), position: 300)) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "mysql-bin.000009:300: PARTIAL_UPDATE_ROWS_EVENT: partial update value options 2: only bit 1 (PARTIAL_JSON_UPDATES) is defined (at byte 51 of the event)")
        }
    }
}
