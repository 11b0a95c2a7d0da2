import XCTest

@testable import Binlog

/// MySQL binary JSON. MariaDB stores JSON as text, so no server here can produce these bytes:
/// every document below is built by hand from MySQL's format documentation (json_binary.h,
/// WL#8132), byte by byte, with the layout spelled out.
final class ValuesBinaryJSONTests: XCTestCase {
    /// Decodes `doc` as the value of a MySQL JSON column (metadata 4: 4-byte length prefix).
    private func decode(_ doc: [UInt8]) throws -> ColumnValue {
        let n = UInt32(doc.count)
        var r = ByteReader([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + doc)
        let v = try ColumnDefinition(type: .json, metadata: 4).decodeValue(from: &r)
        XCTAssertTrue(r.isAtEnd)
        return v
    }

    private func le(_ v: UInt64, _ n: Int) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }

    /// {"a": 1, "bb": [true, null, "x"]}
    private let smallObject: [UInt8] = [
        0x00,  // small object
        0x02, 0x00, 0x24, 0x00,  // 2 members, 36 bytes
        0x12, 0x00, 0x01, 0x00,  // key "a" at 18, length 1
        0x13, 0x00, 0x02, 0x00,  // key "bb" at 19, length 2
        0x05, 0x01, 0x00,  // int16 1, inlined
        0x02, 0x15, 0x00,  // small array at 21
        0x61, 0x62, 0x62,  // "a", "bb"
        0x03, 0x00, 0x0F, 0x00,  // array: 3 elements, 15 bytes
        0x04, 0x01, 0x00, 0x04, 0x00, 0x00,  // true, null (inlined literals)
        0x0C, 0x0D, 0x00,  // string at 13 (of the array)
        0x01, 0x78,  // length 1, "x"
    ]

    func testSmallObjectWithNestedArrayLiteralsAndString() throws {
        XCTAssertEqual(try decode(smallObject), .json(#"{"a": 1, "bb": [true, null, "x"]}"#))
        XCTAssertEqual(ColumnValue.json(#"{"a": 1}"#).jsonText, #"{"a": 1}"#)
    }

    func testLargeArrayWithEveryNumberType() throws {
        var doc: [UInt8] = [0x03] + le(6, 4) + le(62, 4)  // large array: 6 elements, 62 bytes
        doc += [0x05] + le(0xFFFE, 4)  // int16 -2, inlined
        doc += [0x07] + le(UInt64(UInt32(bitPattern: -100_000)), 4)  // int32, inlined in the large form
        doc += [0x08] + le(4_294_967_295, 4)  // uint32, inlined
        doc += [0x09] + le(38, 4) + [0x0A] + le(46, 4) + [0x0B] + le(54, 4)  // int64, uint64, double by offset
        doc += le(UInt64(bitPattern: Int64.min), 8) + le(UInt64.max, 8) + le(2.5.bitPattern, 8)
        XCTAssertEqual(
            try decode(doc),
            .json("[-2, -100000, 4294967295, -9223372036854775808, 18446744073709551615, 2.5]"))
    }

    func testLargeObjectWithEscapedKeyAndNestedSmallObject() throws {
        let doc: [UInt8] = [
            0x01,  // large object
            0x01, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00,  // 1 member, 33 bytes
            0x13, 0x00, 0x00, 0x00, 0x02, 0x00,  // key at 19, length 2
            0x00, 0x15, 0x00, 0x00, 0x00,  // small object at 21
            0x6B, 0x0A,  // key "k\n"
            0x01, 0x00, 0x0C, 0x00,  // nested: 1 member, 12 bytes
            0x0B, 0x00, 0x01, 0x00,  // key at 11, length 1
            0x05, 0xFF, 0xFF,  // int16 -1, inlined
            0x6E,  // key "n"
        ]
        XCTAssertEqual(try decode(doc), .json(#"{"k\n": {"n": -1}}"#))
    }

    func testScalarsAtTopLevelAndEmptyContainers() throws {
        XCTAssertEqual(try decode([0x04, 0x02]), .json("false"))
        XCTAssertEqual(try decode([0x06, 0xFF, 0xFF]), .json("65535"))
        XCTAssertEqual(try decode([0x07, 0x00, 0x00, 0x00, 0x80]), .json("-2147483648"))
        XCTAssertEqual(try decode([0x0B] + le((-0.1).bitPattern, 8)), .json("-0.1"))
        // 130-byte string: the length 130 takes two bytes (0x82 0x01).
        XCTAssertEqual(
            try decode([0x0C, 0x82, 0x01] + Array(repeating: 0x61, count: 130)),
            .json("\"" + String(repeating: "a", count: 130) + "\""))
    }

    func testOpaqueDecimalAndTemporalValues() throws {
        // DECIMAL(4,2): precision, scale, then the packed decimal (12 -> 0x0C with the sign bit, 34).
        XCTAssertEqual(try decode([0x0F, 0xF6, 0x04, 0x04, 0x02, 0x8C, 0x22]), .json("12.34"))
        XCTAssertEqual(try decode([0x0F, 0xF6, 0x04, 0x04, 0x02, 0x73, 0xDD]), .json("-12.34"))
        // Temporal opaques: my_time.h packed longlong, little-endian (int part << 24 | microseconds).
        let ymd: Int64 = (2015 * 13 + 1) << 5 | 15
        let hms: Int64 = 23 << 12 | 24 << 6 | 25
        let dt: Int64 = (ymd << 17 | hms) << 24 | 6
        XCTAssertEqual(
            try decode([0x0F, 0x0C, 0x08] + le(UInt64(bitPattern: dt), 8)),
            .json(#""2015-01-15 23:24:25.000006""#))
        let date: Int64 = (((2024 * 13 + 2) << 5 | 29) << 17) << 24
        XCTAssertEqual(
            try decode([0x0F, 0x0A, 0x08] + le(UInt64(bitPattern: Int64(date)), 8)), .json(#""2024-02-29""#))
        let clock: Int64 = 838 << 12 | 59 << 6 | 59
        let time: Int64 = -(clock << 24 | 500_000)
        XCTAssertEqual(
            try decode([0x0F, 0x0B, 0x08] + le(UInt64(bitPattern: Int64(time)), 8)),
            .json(#""-838:59:59.500000""#))
        // Any other opaque type: MySQL's "base64:typeN:" string.
        XCTAssertEqual(try decode([0x0F, 0xFC, 0x02, 0x01, 0x02]), .json(#""base64:type252:AQI=""#))
        // An empty JSON value reads as JSON null.
        XCTAssertEqual(try decode([]), .json("null"))
        XCTAssertEqual(try decode([0x00, 0x00, 0x00, 0x04, 0x00]), .json("{}"))
        XCTAssertEqual(try decode([0x02, 0x00, 0x00, 0x04, 0x00]), .json("[]"))
    }

    func testCorruptDocumentsThrowTypedErrors() {
        func error(_ doc: [UInt8]) -> FieldError? {
            do {
                _ = try BinaryJSON.text(doc, start: 0, end: doc.count)
                return nil
            } catch { return error }
        }
        func code(_ doc: [UInt8]) -> FieldError.Code? { error(doc)?.code }
        XCTAssertEqual(code([0x0C, 0x05, 0x71, 0x22, 0x5C, 0x0A, 0xC3]), .invalid)  // invalid UTF-8
        XCTAssertEqual(code([0x0D]), .invalid)  // unknown type
        XCTAssertEqual(code([0x04, 0x03]), .invalid)  // unknown literal
        XCTAssertEqual(code([0x02, 0x01, 0x00, 0x07, 0x00, 0x0C, 0x09, 0x00]), .outOfRange)  // offset past size
        XCTAssertEqual(code([0x02, 0x09, 0x00, 0x07, 0x00, 0x0C, 0x09, 0x00]), .invalid)  // count exceeds size
        // Every prefix of a valid document throws, never traps.
        for n in 1..<smallObject.count {
            XCTAssertNotNil(code(Array(smallObject[0..<n])), "prefix \(n)")
        }
        // Nesting deeper than MySQL allows.
        // 101 one-element arrays (count, size, entry "array at 7") around an empty one.
        var deep: [UInt8] = [0x02]
        for k in 0..<101 { deep += [0x01, 0x00] + le(UInt64(7 * (101 - k) + 4), 2) + [0x02, 0x07, 0x00] }
        deep += [0x00, 0x00, 0x04, 0x00]
        XCTAssertEqual(error(deep)?.message, "JSON nested deeper than 100")
        // Entries aliasing one subtree: 2^40 leaves from 410 bytes must not be expanded.
        var alias: [UInt8] = [0x02]
        for k in 0..<40 {
            alias += [0x02, 0x00] + le(UInt64(10 * (40 - k) + 4), 2) + [0x02, 0x0A, 0x00, 0x02, 0x0A, 0x00]
        }
        alias += [0x00, 0x00, 0x04, 0x00]
        XCTAssertEqual(error(alias)?.message, "JSON text would exceed 4264 bytes: entries alias each other")
    }
}
