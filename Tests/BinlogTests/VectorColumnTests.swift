import XCTest

@testable import Binlog

/// MySQL 9 VECTOR columns, built byte by byte from the MySQL 9.0 format (no MySQL 9 server here):
/// type code 242 (`MYSQL_TYPE_VECTOR`, include/field_types.h); its TABLE_MAP metadata is one byte,
/// the length-prefix size, as for BLOB (`Field_vector` is a `Field_blob` with a 4-byte length);
/// the row value is that length then the elements as 4-byte little-endian IEEE floats. The
/// optional metadata field 13 that MySQL 9 adds for VECTOR columns is skipped by its length.
final class VectorColumnTests: XCTestCase {
    private func le(_ v: UInt64, _ n: Int) -> [UInt8] { EventBytes.le(v, n) }

    private func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { le(UInt64($0.bitPattern), 4) }
    }

    /// TABLE_MAP for `db`.`v` (id INT NOT NULL, emb VECTOR(3)): types LONG and VECTOR, metadata
    /// block [4], NULL bitmap (emb nullable), SIGNEDNESS (one numeric column, signed), field 13.
    private func tableMap(id: UInt64) -> [UInt8] {
        le(id, 6) + le(1, 2) + [2] + Array("db".utf8) + [0] + [1] + Array("v".utf8) + [0]
            + [2, 3, 242] + [1, 4] + [0x02]
            + [1, 1, 0x00] + [13, 1, 3]
    }

    /// WRITE_ROWS v2 (30): table id, flags, extra-data length 2, 2 columns, all present; one row.
    private func write(id: UInt64, _ value: [UInt8]) -> [UInt8] {
        le(id, 6) + le(1, 2) + le(2, 2) + [2, 0x03] + [0x00] + le(1, 4) + le(UInt64(value.count), 4) + value
    }

    func testVectorValuesDecodeToFloatArrays() throws {
        var d = EventDecoder(file: "binlog.000001")
        let map = try d.decode(EventBytes.event(type: 19, body: tableMap(id: 5)), position: 100)
        guard case .tableMap(let t) = map.body else { return XCTFail("\(map.body)") }
        XCTAssertEqual(t.columns.map(\.type), [.long, .vector])
        XCTAssertEqual(t.skippedMetadataTypes, [13])
        let rows = try d.decode(EventBytes.event(type: 30, body: write(id: 5, floats([1.5, -0.25, 3]))), position: 200)
        guard case .rows(let r) = rows.body else { return XCTFail("\(rows.body)") }
        XCTAssertEqual(r.after, [.int(1), .vector([1.5, -0.25, 3])])
        XCTAssertEqual(ColumnValue.vector([1.5, -0.25, 3]).jsonText, "[1.5,-0.25,3.0]")
        XCTAssertEqual(ColumnValue.vector([]).jsonText, "[]")
    }

    func testMalformedVectorsAreTypedErrors() throws {
        var d = EventDecoder(file: "binlog.000001")
        _ = try d.decode(EventBytes.event(type: 19, body: tableMap(id: 5)), position: 100)
        XCTAssertThrowsError(
            try d.decode(EventBytes.event(type: 30, body: write(id: 5, [0, 0, 0, 0, 0])), position: 200)
        ) {
            XCTAssertTrue("\($0)".contains("VECTOR of 5 bytes is not a whole number of 4-byte floats"), "\($0)")
        }
        XCTAssertThrowsError(
            try d.decode(EventBytes.event(type: 30, body: write(id: 5, floats([.nan]))), position: 200)
        ) {
            XCTAssertTrue("\($0)".contains("VECTOR element is not finite"), "\($0)")
        }
    }
}
