import XCTest

@testable import Binlog

/// TABLE_MAP metadata block parsing. Bytes written by hand from the layout in
/// ColumnDefinition+Metadata.swift; the captured MariaDB blocks are checked in ValuesFixtureTests.
final class ValuesMetadataTests: XCTestCase {
    func testEveryTypeTakesItsSizeAndByteOrder() throws {
        let types: [ColumnType] = [
            .tiny, .double, .varchar, .newdecimal, .string, .bit, .blob, .datetime2,
            .long, .float, .json, .geometry, .time2, .timestamp2, .year, .set, .enumType,
        ]
        let block: [UInt8] = [
            0x08,  // DOUBLE size
            0x2C, 0x01,  // VARCHAR(300): 300 little-endian
            0x41, 0x1E,  // DECIMAL(65,30): precision, scale
            0xCE, 0xFC,  // CHAR(255) utf8mb4: 1020 bytes, length bits folded into the type byte
            0x07, 0x08,  // BIT(71)? bits 7, bytes 8 (as written; decode checks the range)
            0x02,  // BLOB: 2-byte length
            0x06,  // DATETIME2(6)
            0x04,  // FLOAT size
            0x04,  // JSON: 4-byte length
            0x04,  // GEOMETRY: 4-byte length
            0x03,  // TIME2(3)
            0x00,  // TIMESTAMP2(0)
            0xF8, 0x02,  // SET, 2 bytes
            0xF7, 0x01,  // ENUM, 1 byte
            0xAA,  // not part of the block
        ]
        var r = ByteReader(block)
        let meta = try ColumnDefinition.parseMetadata(types: types, from: &r)
        XCTAssertEqual(meta, [0, 8, 300, 0x411E, 0xCEFC, 0x0807, 2, 6, 0, 4, 4, 4, 3, 0, 0, 0xF802, 0xF701])
        XCTAssertEqual(r.offset, block.count - 1)
        XCTAssertEqual(StringMetadata(0xCEFC).realType, 0xFE)
        XCTAssertEqual(StringMetadata(0xCEFC).length, 1020)
        XCTAssertEqual(StringMetadata(0xFE28).realType, 0xFE)
        XCTAssertEqual(StringMetadata(0xFE28).length, 40)
        XCTAssertEqual(StringMetadata(0xF802).realType, 0xF8)
        XCTAssertEqual(StringMetadata(0xF802).length, 2)
    }

    func testShortBlockThrowsAndKeepsCursor() {
        var r = ByteReader([0x2C])
        XCTAssertThrowsError(try ColumnDefinition.parseMetadata(types: [.varchar], from: &r)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .short)
        }
        XCTAssertEqual(r.offset, 0)
    }

    func testUnknownMetadataSizeThrows() {
        var r = ByteReader([0x01, 0x02])
        XCTAssertThrowsError(try ColumnDefinition.parseMetadata(types: [.typedArray], from: &r)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .unsupported)
            XCTAssertEqual(
                (e as? FieldError)?.message,
                "column type typedArray (20) in TABLE_MAP: its metadata size is unknown")
        }
    }
}
