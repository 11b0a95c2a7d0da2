import BinlogCompression
import XCTest

@testable import Binlog

/// Hand-built row-image bytes for the simple layouts (captured MariaDB values: ValuesFixtureTests).
final class ValuesBasicTests: XCTestCase {
    private func decode(
        _ def: ColumnDefinition, _ bytes: [UInt8], file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> ColumnValue {
        var r = ByteReader(bytes + [0xEE])
        let v = try def.decodeValue(from: &r)
        XCTAssertEqual(r.remaining, 1, "value must consume exactly its bytes", file: file, line: line)
        return v
    }

    func testColumnValueIsAtMost32BytesAndTemporalFieldsRoundTrip() {
        // One ColumnValue per column per row: the packed temporal structs keep it at 32 bytes (72 before).
        XCTAssertLessThanOrEqual(MemoryLayout<ColumnValue>.stride, 32)
        var t = MySQLDateTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microseconds: 999_999, fsp: 6)
        XCTAssertEqual([t.year, t.month, t.day, t.hour, t.minute, t.second, t.microseconds, t.fsp],
                       [9999, 12, 31, 23, 59, 59, 999_999, 6])
        t.microseconds = 5
        XCTAssertEqual(t, MySQLDateTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microseconds: 5, fsp: 6))
        let time = MySQLTime(negative: true, hours: 838, minutes: 59, seconds: 58, microseconds: 1, fsp: 6)
        XCTAssertEqual([time.hours, time.minutes, time.seconds, time.microseconds, time.fsp], [838, 59, 58, 1, 6])
        let ts = MySQLTimestamp(seconds: 2_147_483_647, microseconds: 999_999, fsp: 6)
        XCTAssertEqual([Int(ts.seconds), ts.microseconds, ts.fsp], [2_147_483_647, 999_999, 6])
        XCTAssertEqual(MySQLDate(year: 2024, month: 2, day: 29).day, 29)
    }

    func testIntegersSignedAndUnsigned() throws {
        XCTAssertEqual(try decode(ColumnDefinition(type: .tiny), [0x80]), .int(-128))
        XCTAssertEqual(try decode(ColumnDefinition(type: .tiny, unsigned: true), [0xFF]), .uint(255))
        XCTAssertEqual(try decode(ColumnDefinition(type: .short), [0x00, 0x80]), .int(-32768))
        XCTAssertEqual(try decode(ColumnDefinition(type: .int24), [0xFF, 0xFF, 0x7F]), .int(8_388_607))
        XCTAssertEqual(try decode(ColumnDefinition(type: .int24), [0x00, 0x00, 0x80]), .int(-8_388_608))
        XCTAssertEqual(
            try decode(ColumnDefinition(type: .int24, unsigned: true), [0xFF, 0xFF, 0xFF]), .uint(16_777_215))
        XCTAssertEqual(try decode(ColumnDefinition(type: .long), [0x00, 0x00, 0x00, 0x80]), .int(Int64(Int32.min)))
        XCTAssertEqual(
            try decode(ColumnDefinition(type: .longlong, unsigned: true), Array(repeating: 0xFF, count: 8)),
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

/// Charsets by collation id. Ids as MariaDB 10.11.19 writes them in TABLE_MAP's COLUMN_CHARSET
/// (checked on the live server: utf8mb4_uca1400_ai_ci 2304, utf8mb3_uca1400_ai_ci 2048,
/// latin1_nopad_bin 1071, ucs2 35, utf16 54, utf32 60, utf16le 56).
final class ValuesCharsetTests: XCTestCase {
    private func text(_ collation: UInt32, _ bytes: [UInt8], converter: (any TextConverter)? = nil) throws -> ColumnValue {
        var r = ByteReader([UInt8(bytes.count)] + bytes)
        return try ColumnDefinition(type: .varchar, metadata: 100, collation: collation)
            .decodeValue(from: &r, converter: converter)
    }

    /// Single-byte charsets read through the server's own tables (`SingleByteCharset`), where
    /// glibc's differ; a byte the server has no character for leaves the value as bytes.
    func testSingleByteCharsetsReadAsTheServerDoes() throws {
        XCTAssertEqual(try text(51, [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]), .string("Привет"))  // cp1251_general_ci
        XCTAssertEqual(try text(14, [0x98]), .bytes([0x98]))  // cp1251: 0x98 has no character
        XCTAssertEqual(try text(22, [0x95]), .string("\u{2022}"))  // koi8u: glibc says U+2219
        XCTAssertEqual(try text(10, [0x5B, 0x40, 0x7D]), .string("ÄÉå"))  // swe7 is 7-bit Swedish
        XCTAssertEqual(try text(10, [0x41, 0xC4]), .bytes([0x41, 0xC4]))
        XCTAssertEqual(try text(37, [0x80, 0x81]), .string("Čü"))  // keybcs2: not in glibc at all
        XCTAssertEqual(try text(77, [0xA1]), .string("Ą"))  // latin2 (77, nopad 1101)
        XCTAssertEqual(try text(1101, [0xA1]), .string("Ą"))
        XCTAssertEqual(try text(18, [0x80]), .string("\u{80}"))  // tis620: C1 controls, glibc refuses
        XCTAssertEqual(try text(18, [0xA1, 0x41]), .string("กA"))
    }

    /// Multi-byte CJK charsets go through the injected converter (glibc iconv, corrected where
    /// the server reads a code differently); without one they stay bytes.
    func testCJKCharsetsThroughTheConverter() throws {
        let iconv = IconvTextConverter()
        let gbk: [UInt8] = [0xD6, 0xA7, 0xB8, 0xB6]
        XCTAssertEqual(try text(28, gbk), .bytes(gbk))
        XCTAssertEqual(try text(28, gbk, converter: iconv), .string("支付"))
        XCTAssertEqual(try text(28, [0x41, 0x81, 0x20], converter: iconv), .bytes([0x41, 0x81, 0x20]))  // invalid
        XCTAssertEqual(try text(28, [0xD6], converter: iconv), .bytes([0xD6]))  // incomplete
        XCTAssertEqual(try text(24, [0xD6, 0xD0], converter: iconv), .string("中"))  // gb2312
        XCTAssertEqual(try text(1, [0xA4, 0xA4, 0xC7, 0xC7, 0xA2, 0x44], converter: iconv), .string("中Я¥"))  // big5
        XCTAssertEqual(try text(1, [0xF9, 0xFE], converter: iconv), .bytes([0xF9, 0xFE]))  // big5: not MySQL's
        XCTAssertEqual(try text(13, [0x5C, 0x7E, 0x81, 0x5F, 0x93, 0xFA], converter: iconv), .string("\\~\\日"))  // sjis
        XCTAssertEqual(try text(95, [0x81, 0x60], converter: iconv), .string("～"))  // cp932
        XCTAssertEqual(try text(12, [0xC6, 0xFC, 0xF5, 0xA1, 0x8F, 0xF5, 0xA2], converter: iconv),
                       .string("日\u{E000}\u{E3AD}"))  // ujis, user-defined rows
        XCTAssertEqual(try text(12, [0x81, 0x41], converter: iconv), .bytes([0x81, 0x41]))  // ujis: no C1 controls
        XCTAssertEqual(try text(97, [0xC6, 0xFC], converter: iconv), .string("日"))  // eucjpms
        XCTAssertEqual(try text(19, [0x81, 0x41], converter: iconv), .string("갂"))  // euckr takes CP949's codes
    }

    /// Every collation id of MariaDB 10.11 and MySQL 8 names a charset (spot checks across the
    /// blocks; the live replay test checks every id the server lists).
    func testCollationBlocks() {
        XCTAssertEqual(TextCharset.charsetName(collation: 28), "gbk")
        XCTAssertEqual(TextCharset.charsetName(collation: 1052), "gbk")  // gbk_nopad_chinese_ci
        XCTAssertEqual(TextCharset.charsetName(collation: 248), "gb18030")  // MySQL 8
        XCTAssertEqual(TextCharset.charsetName(collation: 309), "utf8mb4")  // utf8mb4_0900_bin
        XCTAssertEqual(TextCharset.charsetName(collation: 2304), "utf8mb4")
        XCTAssertEqual(TextCharset.charsetName(collation: 95), "cp932")
        XCTAssertNil(TextCharset.charsetName(collation: 17))
        XCTAssertNil(TextCharset.charsetName(collation: 4000))
    }

    func testUnicodeEncodingsAndLatin1() throws {
        XCTAssertEqual(try text(2304, [0xF0, 0x9F, 0x98, 0x80]), .string("😀"))
        XCTAssertEqual(try text(2048, [0xC3, 0xA9]), .string("é"))
        XCTAssertEqual(try text(1071, [0x80, 0x81, 0xE9]), .string("€\u{81}é"))
        XCTAssertEqual(try text(35, [0x00, 0x77, 0x20, 0xAC]), .string("w€"))
        XCTAssertEqual(try text(54, [0xD8, 0x3D, 0xDE, 0x00]), .string("😀"))
        XCTAssertEqual(try text(56, [0x3D, 0xD8, 0x00, 0xDE]), .string("😀"))
        XCTAssertEqual(try text(60, [0x00, 0x01, 0xF6, 0x00]), .string("😀"))
        // Invalid in the charset: bytes, never a replacement character.
        XCTAssertEqual(try text(54, [0xD8, 0x3D]), .bytes([0xD8, 0x3D]))
        XCTAssertEqual(try text(60, [0x00, 0x11, 0x00, 0x00]), .bytes([0x00, 0x11, 0x00, 0x00]))
        XCTAssertEqual(try text(11, [0x41, 0x80]), .bytes([0x41, 0x80]))
        XCTAssertEqual(try text(45, Array("0123456789abcdef\u{7F}".utf8)), .string("0123456789abcdef\u{7F}"))
    }
}
