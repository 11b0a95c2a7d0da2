import XCTest
@testable import Binlog

/// Hand-built row-image bytes for the simple layouts (captured MariaDB values: ValuesFixtureTests).
final class ValuesBasicTests: XCTestCase {
    private func decode(_ def: ColumnDefinition, _ bytes: [UInt8], file: StaticString = #filePath,
                        line: UInt = #line) throws -> ColumnValue {
        var r = ByteReader(bytes + [0xEE])
        let v = try def.decodeValue(from: &r)
        XCTAssertEqual(r.remaining, 1, "value must consume exactly its bytes", file: file, line: line)
        return v
    }

    func testIntegersSignedAndUnsigned() throws {
        XCTAssertEqual(try decode(ColumnDefinition(type: .tiny), [0x80]), .int(-128))
        XCTAssertEqual(try decode(ColumnDefinition(type: .tiny, unsigned: true), [0xFF]), .uint(255))
        XCTAssertEqual(try decode(ColumnDefinition(type: .short), [0x00, 0x80]), .int(-32768))
        XCTAssertEqual(try decode(ColumnDefinition(type: .int24), [0xFF, 0xFF, 0x7F]), .int(8_388_607))
        XCTAssertEqual(try decode(ColumnDefinition(type: .int24), [0x00, 0x00, 0x80]), .int(-8_388_608))
        XCTAssertEqual(try decode(ColumnDefinition(type: .int24, unsigned: true), [0xFF, 0xFF, 0xFF]), .uint(16_777_215))
        XCTAssertEqual(try decode(ColumnDefinition(type: .long), [0x00, 0x00, 0x00, 0x80]), .int(Int64(Int32.min)))
        XCTAssertEqual(try decode(ColumnDefinition(type: .longlong, unsigned: true), Array(repeating: 0xFF, count: 8)),
                       .uint(UInt64.max))
        XCTAssertEqual(try decode(ColumnDefinition(type: .longlong), [0, 0, 0, 0, 0, 0, 0, 0x80]), .int(Int64.min))
    }

    func testVarcharAndCharLengths() throws {
        let utf8 = ColumnDefinition(type: .varchar, metadata: 40, collation: 45)
        XCTAssertEqual(try decode(utf8, [3, 0x61, 0x62, 0x63]), .string("abc"))
        let long = ColumnDefinition(type: .varchar, metadata: 1200, collation: 45)
        XCTAssertEqual(try decode(long, [2, 0, 0xC3, 0xA9]), .string("é"))
        let binary = ColumnDefinition(type: .varchar, metadata: 10, collation: 63)
        XCTAssertEqual(try decode(binary, [2, 0x00, 0xFF]), .bytes([0x00, 0xFF]))
        let char1020 = ColumnDefinition(type: .string, metadata: 0xCEFC, collation: 45)
        XCTAssertEqual(try decode(char1020, [1, 0, 0x7A]), .string("z"))
        // Invalid UTF-8 in a utf8mb4 column stays bytes, never replaced.
        XCTAssertEqual(try decode(utf8, [1, 0xFF]), .bytes([0xFF]))
        // Unknown collation: bytes.
        XCTAssertEqual(try decode(ColumnDefinition(type: .varchar, metadata: 10), [1, 0x41]), .bytes([0x41]))
    }

    func testEnumSetFromStringMetadata() throws {
        let e = ColumnDefinition(type: .string, metadata: 0xF701, enumValues: ["a", "b"])
        XCTAssertEqual(try decode(e, [2]), .enumValue(index: 2, name: "b"))
        XCTAssertEqual(try decode(e, [0]), .enumValue(index: 0, name: ""))
        XCTAssertEqual(try decode(e, [3]), .enumValue(index: 3, name: nil))
        let s = ColumnDefinition(type: .string, metadata: 0xF801, setValues: ["x", "y", "z"])
        XCTAssertEqual(try decode(s, [0b101]), .set(bits: 5, names: ["x", "z"]))
        XCTAssertEqual(try decode(s, [0b1001]), .set(bits: 9, names: nil))
    }

    func testUnsupportedAndCorruptMetadataThrow() {
        var r = ByteReader([5, 1, 2])
        XCTAssertThrowsError(try ColumnDefinition(type: .decimal).decodeValue(from: &r)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .unsupported)
        }
        XCTAssertThrowsError(try ColumnDefinition(type: .blob, metadata: 5).decodeValue(from: &r)) { e in
            XCTAssertEqual((e as? FieldError)?.message, "blob: length-prefix size 5 in metadata (1...4)")
        }
        XCTAssertThrowsError(try ColumnDefinition(type: .varchar, metadata: 10).decodeValue(from: &r)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .short)
        }
        XCTAssertEqual(r.offset, 0)
    }
}
