import XCTest

@testable import Binlog

/// Value-by-value assertions on row images captured from MariaDB 10.11.19
/// (Tests/BinlogTests/Fixtures/values/, SQL at the top of each file, scripts/capture-value-fixtures).
/// Signedness, collations and ENUM/SET members are set as the table's optional metadata says.
final class ValuesFixtureTests: XCTestCase {
    static func rows(_ name: String, _ adjust: (Int, inout ColumnDefinition) -> Void = { _, _ in }) throws
        -> (columns: [ColumnDefinition], rows: [[ColumnValue]])
    {
        let f = try ValuesFixture.load(name)
        let cols = try f.columns(adjust)
        return (cols, try f.rows.map { try ValuesFixture.decodeRow($0, cols).values })
    }

    static func dt(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ us: Int = 0, fsp: Int) -> ColumnValue
    {
        .datetime(MySQLDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, microseconds: us, fsp: fsp))
    }

    static func tm(_ neg: Bool, _ h: Int, _ m: Int, _ s: Int, _ us: Int = 0, fsp: Int) -> ColumnValue {
        .time(MySQLTime(negative: neg, hours: h, minutes: m, seconds: s, microseconds: us, fsp: fsp))
    }

    func testIntegerExtremesSignedAndUnsigned() throws {
        let (_, rows) = try Self.rows("ints") { i, c in c.unsigned = i % 2 == 1 }
        XCTAssertEqual(
            rows,
            [
                [
                    .int(-128), .uint(0), .int(-32768), .uint(0), .int(-8_388_608), .uint(0), .int(-2_147_483_648),
                    .uint(0),
                    .int(Int64.min), .uint(0),
                ],
                [
                    .int(127), .uint(255), .int(32767), .uint(65535), .int(8_388_607), .uint(16_777_215),
                    .int(2_147_483_647),
                    .uint(4_294_967_295), .int(Int64.max), .uint(UInt64.max),
                ],
                [.int(-1), .uint(1), .int(-1), .uint(1), .int(-1), .uint(1), .int(-1), .uint(1), .int(-1), .uint(1)],
            ])
    }

    func testFloatAndDouble() throws {
        let (cols, rows) = try Self.rows("floats")
        XCTAssertEqual(cols.map(\.metadata), [4, 8])
        XCTAssertEqual(
            rows,
            [
                [.float(1.5), .double(3.141592653589793)],
                [.float(Float(bitPattern: 0xFF7F_FFEE)), .double(1.7976931348623157e308)],
                [.float(0.1), .double(2.2250738585072014e-308)],
                [.float(0), .double(-0.1)],
            ])
    }

    func testDecimalsExact() throws {
        let (cols, rows) = try Self.rows("decimals")
        XCTAssertEqual(cols.map(\.metadata), [0x411E, 0x0A02, 0x0500, 0x0303, 0x1209, 0x140A])
        let text: [[String]] = [
            [
                "99999999999999999999999999999999999.999999999999999999999999999999", "99999999.99", "99999", "0.999",
                "999999999.999999999", "1234567890.0123456789",
            ],
            [
                "-12345678901234567890123456789012345.123456789012345678901234567890", "-12345678.91", "-1", "-0.001",
                "-0.000000001", "-0.5000000000",
            ],
            ["0.000000000000000000000000000000", "0.00", "0", "0.000", "0.000000000", "0.0000000000"],
            ["0.000000000000000000000000000001", "1.10", "100", "0.100", "1.000000000", "10.0000000000"],
        ]
        XCTAssertEqual(rows, text.map { $0.map(ColumnValue.decimal) })
    }

    func testTimeWithEveryFractionNegativeIncluded() throws {
        let (_, rows) = try Self.rows("times")
        let t = Self.tm
        XCTAssertEqual(
            rows,
            [
                [
                    t(false, 12, 34, 56, 0, 0), t(false, 12, 34, 56, 700_000, 1), t(false, 12, 34, 56, 780_000, 2),
                    t(false, 12, 34, 56, 789_000, 3), t(false, 12, 34, 56, 789_100, 4),
                    t(false, 12, 34, 56, 789_120, 5),
                    t(false, 12, 34, 56, 789_123, 6),
                ],
                [
                    t(true, 12, 34, 56, 0, 0), t(true, 12, 34, 56, 700_000, 1), t(true, 12, 34, 56, 780_000, 2),
                    t(true, 12, 34, 56, 789_000, 3), t(true, 12, 34, 56, 789_100, 4), t(true, 12, 34, 56, 789_120, 5),
                    t(true, 12, 34, 56, 789_123, 6),
                ],
                [
                    t(true, 838, 59, 59, 0, 0), t(true, 0, 0, 0, 100_000, 1), t(true, 0, 0, 0, 10_000, 2),
                    t(true, 0, 0, 0, 1_000, 3), t(true, 0, 0, 0, 100, 4), t(true, 0, 0, 0, 10, 5),
                    t(true, 0, 0, 0, 1, 6),
                ],
                [
                    t(false, 838, 59, 59, 0, 0), t(false, 838, 59, 59, 900_000, 1), t(false, 0, 0, 0, 0, 2),
                    t(true, 1, 0, 0, 0, 3), t(false, 0, 0, 0, 500_000, 4), t(true, 0, 0, 1, 10, 5),
                    t(true, 838, 59, 59, 0, 6),
                ],
            ])
    }

    func testDatesDatetimesTimestampsYearsAndZeroDates() throws {
        let (_, rows) = try Self.rows("datetimes")
        let dt = Self.dt
        func ts(_ s: Int64, _ us: Int, _ fsp: Int) -> ColumnValue {
            .timestamp(MySQLTimestamp(seconds: s, microseconds: us, fsp: fsp))
        }
        XCTAssertEqual(
            rows,
            [
                [
                    .date(MySQLDate(year: 2024, month: 2, day: 29)), dt(2024, 2, 29, 23, 59, 58, 0, 0),
                    dt(2024, 2, 29, 23, 59, 58, 100_000, 1), dt(2024, 2, 29, 23, 59, 58, 120_000, 2),
                    dt(2024, 2, 29, 23, 59, 58, 123_000, 3), dt(2024, 2, 29, 23, 59, 58, 123_400, 4),
                    dt(2024, 2, 29, 23, 59, 58, 123_450, 5), dt(2024, 2, 29, 23, 59, 58, 123_456, 6),
                    ts(2_147_483_647, 999_999, 6), ts(1, 0, 0), .year(2155),
                ],
                [.date(MySQLDate(year: 0, month: 0, day: 0))] + (0...6).map { dt(0, 0, 0, 0, 0, 0, 0, $0) }
                    + [ts(0, 0, 6), ts(0, 0, 0), .year(0)],
                [
                    .date(MySQLDate(year: 1000, month: 1, day: 1)), dt(9999, 12, 31, 23, 59, 59, 0, 0),
                    dt(1000, 1, 1, 0, 0, 0, 900_000, 1), dt(2000, 0, 0, 0, 0, 0, 10_000, 2),
                    dt(2020, 5, 0, 1, 2, 3, 4_000, 3),
                    dt(2001, 2, 3, 4, 5, 6, 700, 4), dt(2001, 2, 3, 4, 5, 6, 80, 5),
                    dt(9999, 12, 31, 23, 59, 59, 999_999, 6),
                    ts(1_577_836_800, 1, 6), ts(1_000_000_000, 0, 0), .year(1901),
                ],
            ])
    }

    func testOldTemporalFormats() throws {
        let (cols, rows) = try Self.rows("oldtemporal")
        XCTAssertEqual(cols.map(\.type), [.time, .datetime, .timestamp])
        func ts(_ s: Int64) -> ColumnValue { .timestamp(MySQLTimestamp(seconds: s, microseconds: 0, fsp: 0)) }
        XCTAssertEqual(
            rows,
            [
                [Self.tm(true, 838, 59, 59, fsp: 0), Self.dt(9999, 12, 31, 23, 59, 59, fsp: 0), ts(2_147_483_647)],
                [Self.tm(false, 12, 34, 56, fsp: 0), Self.dt(0, 0, 0, 0, 0, 0, fsp: 0), ts(0)],
                [Self.tm(true, 0, 0, 1, fsp: 0), Self.dt(2024, 2, 29, 12, 0, 0, fsp: 0), ts(1)],
            ])
    }

    func testStringsByCharsetAndBinary() throws {
        // COLUMN_CHARSET of the table: 45 45 45 8 11 63 63 45 33.
        let collations: [UInt32] = [45, 45, 45, 8, 11, 63, 63, 45, 33]
        let (cols, rows) = try Self.rows("strings") { i, c in c.collation = collations[i] }
        XCTAssertEqual(cols.map(\.metadata), [0xFE28, 40, 1200, 20, 20, 0xFE04, 10, 0xCEFC, 30])
        XCTAssertEqual(
            rows,
            [
                [
                    .string("abc"), .string("héllo"), .string(String(repeating: "x", count: 300)), .string("café"),
                    .string("plain"), .bytes([0x00, 0xFF, 0x01, 0x02]), .bytes([0x00]), .string("big"),
                    .string("naïve"),
                ],
                [
                    .string("😀"), .string("🎉€"), .string(""), .string("€¤ÿ"), .string("q\"\\\n\t"),
                    .bytes([0xFF, 0xFF, 0xFF, 0xFF]), .bytes([]), .string(String(repeating: "😀", count: 255)),
                    .string(""),
                ],
            ])
        // Without charset metadata nothing is guessed: bytes.
        let (_, raw) = try Self.rows("strings")
        XCTAssertEqual(raw[0][0], .bytes(Array("abc".utf8)))
    }

    func testBlobsTextJSONAsTextAndGeometry() throws {
        // COLUMN_CHARSET: 63 63 63 63 45 8 45 45 46 63 (MariaDB's JSON is LONGTEXT utf8mb4_bin).
        let collations: [UInt32] = [63, 63, 63, 63, 45, 8, 45, 45, 46, 63]
        let (cols, rows) = try Self.rows("blobs") { i, c in c.collation = collations[i] }
        XCTAssertEqual(cols.map(\.metadata), [1, 2, 3, 4, 1, 2, 3, 4, 4, 4])
        XCTAssertEqual(cols.last?.type, .geometry)
        let point: [UInt8] = [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0x40]
        XCTAssertEqual(
            rows,
            [
                [
                    .bytes([0]), .bytes([0xDE, 0xAD, 0xBE, 0xEF]), .bytes([]), .bytes([1, 2]), .string("tiny 😀"),
                    .string("é"), .string(String(repeating: "m", count: 300)), .string("long"),
                    .string(#"{"a": [1, 2.5, "x"], "b": null}"#), .geometry(point),
                ]
            ])
    }

    func testEnumAndSetWithNames() throws {
        let m = (1...300).map { "m\($0)" }
        let (_, rows) = try Self.rows("enums") { i, c in
            switch i {
            case 0: c.enumValues = ["a", "b", "c"]
            case 1: c.enumValues = m
            case 2: c.setValues = ["x", "y", "z"]
            case 3: c.setValues = Array(m[0..<9])
            default: c.setValues = Array(m[0..<64])
            }
        }
        XCTAssertEqual(
            rows,
            [
                [
                    .enumValue(index: 3, name: "c"), .enumValue(index: 300, name: "m300"),
                    .set(bits: 5, names: ["x", "z"]),
                    .set(bits: 257, names: ["m1", "m9"]), .set(bits: 1 | 1 << 63, names: ["m1", "m64"]),
                ],
                [
                    .enumValue(index: 1, name: "a"), .enumValue(index: 1, name: "m1"), .set(bits: 0, names: []),
                    .set(bits: 0, names: []), .set(bits: 0, names: []),
                ],
                [
                    .enumValue(index: 2, name: "b"), .enumValue(index: 256, name: "m256"),
                    .set(bits: 7, names: ["x", "y", "z"]),
                    .set(bits: 2, names: ["m2"]), .set(bits: 1 << 32, names: ["m33"]),
                ],
            ])
        let (_, unnamed) = try Self.rows("enums")
        XCTAssertEqual(
            unnamed[0],
            [
                .enumValue(index: 3, name: nil), .enumValue(index: 300, name: nil),
                .set(bits: 5, names: nil), .set(bits: 257, names: nil), .set(bits: 1 | 1 << 63, names: nil),
            ])
    }

    func testBitWidths() throws {
        let (cols, rows) = try Self.rows("bits")
        XCTAssertEqual(cols.map(\.metadata), [0x0001, 0x0100, 0x0102, 0x0800])
        XCTAssertEqual(
            rows,
            [
                [.bit(1), .bit(0x81), .bit(0x201), .bit(UInt64.max)],
                [.bit(0), .bit(0), .bit(0), .bit(0)],
                [.bit(1), .bit(255), .bit(1023), .bit(1 << 63)],
            ])
    }

    func testNullInEveryPosition() throws {
        let (_, rows) = try Self.rows("nulls") { i, c in
            if i == 1 { c.collation = 45 }
            if i == 3 { c.unsigned = true }
        }
        let dt = Self.dt(2001, 1, 1, 0, 0, 0, 1_000, fsp: 3)
        XCTAssertEqual(
            rows,
            [
                [.null, .string("b"), dt, .uint(4)],
                [.int(1), .null, dt, .uint(4)],
                [.int(1), .string("b"), .null, .uint(4)],
                [.int(1), .string("b"), dt, .null],
                [.null, .null, .null, .null],
            ])
    }

    func testThreeHundredColumns() throws {
        let (cols, rows) = try Self.rows("wide")
        XCTAssertEqual(cols.count, 300)
        XCTAssertEqual(rows, [(1...300).map { .int(Int64($0 * 1000 - 150_000)) }])
    }

    /// LONGBLOB of 16,777,472 bytes (byte i = i % 256): the capture script checked the server's
    /// bytes against this pattern and kept the head (null bitmap, id, 4-byte length).
    func testBlobOver16MiB() throws {
        let f = try ValuesFixture.load("bigblob")
        let cols = try f.columns { _, c in if c.type == .blob { c.collation = 63 } }
        XCTAssertEqual(cols.map(\.metadata), [0, 4])
        let head = try XCTUnwrap(f.rowHeads.first)
        XCTAssertEqual(head.count, 9)
        var pattern = [UInt8](repeating: 0, count: 256 * 65_537)
        for i in pattern.indices { pattern[i] = UInt8(truncatingIfNeeded: i) }
        let (values, _) = try ValuesFixture.decodeRow(head + pattern, cols)
        XCTAssertEqual(values.first, .int(7))
        guard case .bytes(let b)? = values.last else {
            return XCTFail("expected bytes, got \(String(describing: values.last))")
        }
        XCTAssertEqual(b.count, 16_777_472)
        XCTAssertTrue(b == pattern)
        // One byte short: a typed error, not a trap.
        XCTAssertThrowsError(try ValuesFixture.decodeRow(head + pattern.dropLast(), cols)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .short)
        }
    }
}

extension ValuesFixtureTests {
    /// MariaDB's fractional old-type format: the binlog has no metadata for these columns, so the
    /// test supplies each column's declared fractional digits as a schema-aware caller would.
    func testMariaDBFractionalOldTemporalWithSchemaFsp() throws {
        let fsp: [UInt16] = [3, 6, 1, 6, 3, 6]
        let (cols, rows) = try Self.rows("hirestemporal") { i, c in c.metadata = fsp[i] }
        XCTAssertEqual(cols.map(\.type), [.time, .time, .datetime, .datetime, .timestamp, .timestamp])
        func ts(_ s: Int64, _ us: Int, _ fsp: Int) -> ColumnValue {
            .timestamp(MySQLTimestamp(seconds: s, microseconds: us, fsp: fsp))
        }
        XCTAssertEqual(
            rows,
            [
                [
                    Self.tm(true, 12, 34, 56, 789_000, fsp: 3), Self.tm(false, 838, 59, 59, 999_999, fsp: 6),
                    Self.dt(2024, 2, 29, 23, 59, 58, 100_000, fsp: 1),
                    Self.dt(9999, 12, 31, 23, 59, 59, 999_999, fsp: 6),
                    ts(1_577_836_800, 500_000, 3), ts(2_147_483_647, 999_999, 6),
                ],
                [
                    Self.tm(false, 0, 0, 0, 0, fsp: 3), Self.tm(true, 0, 0, 0, 1, fsp: 6),
                    Self.dt(0, 0, 0, 0, 0, 0, 0, fsp: 1),
                    Self.dt(1000, 1, 1, 0, 0, 0, 1, fsp: 6), ts(0, 0, 3), ts(1, 1, 6),
                ],
            ])
        // Without the schema's fsp the binlog alone cannot size these values: the row is misread,
        // which the row decoder sees as bytes left over.
        let f = try ValuesFixture.load("hirestemporal")
        let plain = try f.columns()
        var r = ByteReader(f.rows[0], offset: 1)
        for c in plain { _ = try? c.decodeValue(from: &r) }
        XCTAssertFalse(r.isAtEnd)
    }
}
