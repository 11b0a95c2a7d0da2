import XCTest

@testable import Binlog

/// Exact change-event JSON text of values (docs/change-events.md), mostly from captured rows.
/// Every value is also written as bytes (what a Kafka message carries): the same text.
final class ValuesJSONEncodingTests: XCTestCase {
    private func json(_ values: [ColumnValue]) -> String {
        var s = "["
        var bytes: [UInt8] = Array("[".utf8)
        for (i, v) in values.enumerated() {
            if i > 0 {
                s += ","
                bytes.append(0x2C)
            }
            v.appendJSON(into: &s)
            v.appendJSON(into: &bytes)
        }
        bytes.append(0x5D)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), s + "]", "the byte writer and the text writer differ")
        return s + "]"
    }

    func testIntegersAreExactJSONIntegers() throws {
        let (_, rows) = try ValuesFixtureTests.rows("ints") { i, c in c.unsigned = i % 2 == 1 }
        XCTAssertEqual(
            rows.map(json),
            [
                "[-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0]",
                "[127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615]",
                "[-1,1,-1,1,-1,1,-1,1,-1,1]",
            ])
    }

    func testFloatsShortestRoundTripAndDecimalsAsStrings() throws {
        let (_, floats) = try ValuesFixtureTests.rows("floats")
        XCTAssertEqual(
            floats.map(json),
            [
                "[1.5,3.141592653589793]", "[-3.40282e+38,1.7976931348623157e+308]", "[0.1,2.2250738585072014e-308]",
                "[0.0,-0.1]",
            ])
        let (_, decimals) = try ValuesFixtureTests.rows("decimals")
        XCTAssertEqual(
            json(decimals[1]),
            #"["-12345678901234567890123456789012345.123456789012345678901234567890","-12345678.91","-1","-0.001","-0.000000001","-0.5000000000"]"#
        )
    }

    func testTemporalTextWithTheColumnsFractionDigits() throws {
        let (_, times) = try ValuesFixtureTests.rows("times")
        XCTAssertEqual(
            times.map(json),
            [
                #"["12:34:56","12:34:56.7","12:34:56.78","12:34:56.789","12:34:56.7891","12:34:56.78912","12:34:56.789123"]"#,
                #"["-12:34:56","-12:34:56.7","-12:34:56.78","-12:34:56.789","-12:34:56.7891","-12:34:56.78912","-12:34:56.789123"]"#,
                #"["-838:59:59","-00:00:00.1","-00:00:00.01","-00:00:00.001","-00:00:00.0001","-00:00:00.00001","-00:00:00.000001"]"#,
                #"["838:59:59","838:59:59.9","00:00:00.00","-01:00:00.000","00:00:00.5000","-00:00:01.00001","-838:59:59.000000"]"#,
            ])
        let (_, dts) = try ValuesFixtureTests.rows("datetimes")
        XCTAssertEqual(
            dts.map(json),
            [
                #"["2024-02-29","2024-02-29 23:59:58","2024-02-29 23:59:58.1","2024-02-29 23:59:58.12","2024-02-29 23:59:58.123","2024-02-29 23:59:58.1234","2024-02-29 23:59:58.12345","2024-02-29 23:59:58.123456","2038-01-19 03:14:07.999999","1970-01-01 00:00:01",2155]"#,
                #"["0000-00-00","0000-00-00 00:00:00","0000-00-00 00:00:00.0","0000-00-00 00:00:00.00","0000-00-00 00:00:00.000","0000-00-00 00:00:00.0000","0000-00-00 00:00:00.00000","0000-00-00 00:00:00.000000","0000-00-00 00:00:00.000000","0000-00-00 00:00:00",0]"#,
                #"["1000-01-01","9999-12-31 23:59:59","1000-01-01 00:00:00.9","2000-00-00 00:00:00.01","2020-05-00 01:02:03.004","2001-02-03 04:05:06.0007","2001-02-03 04:05:06.00008","9999-12-31 23:59:59.999999","2020-01-01 00:00:00.000001","2001-09-09 01:46:40",1901]"#,
            ])
    }

    func testTextEscapedBinaryBase64EnumSetBit() throws {
        let collations: [UInt32] = [45, 45, 45, 8, 11, 63, 63, 45, 33]
        let (_, strings) = try ValuesFixtureTests.rows("strings") { i, c in c.collation = collations[i] }
        var second = strings[1]
        second[7] = .string("…")  // the 255 emoji, shortened for the assertion
        XCTAssertEqual(json(second), #"["😀","🎉€","","€¤ÿ","q\"\\\n\t","/////w==","","…",""]"#)
        XCTAssertEqual(json([strings[0][5]]), #"["AP8BAg=="]"#)
        // Control characters escaped; DEL and everything above passes through.
        XCTAssertEqual(json([.string("\u{0}\u{1F}\u{7F}\u{8}\u{C}\r/")]), "[\"\\u0000\\u001f\u{7F}\\b\\f\\r/\"]")
        let (_, enums) = try ValuesFixtureTests.rows("enums") { i, c in
            if i == 0 { c.enumValues = ["a", "b", "c"] }
            if i == 2 { c.setValues = ["x", "y", "z"] }
        }
        XCTAssertEqual(json(enums[0]), #"["c",300,["x","z"],257,9223372036854775809]"#)
        XCTAssertEqual(json(enums[1]), #"["a",1,[],0,0]"#)
        let (_, bits) = try ValuesFixtureTests.rows("bits")
        XCTAssertEqual(json(bits[0]), "[1,129,513,18446744073709551615]")
    }

    func testBlobsGeometryAndJSONText() throws {
        let collations: [UInt32] = [63, 63, 63, 63, 45, 8, 45, 45, 46, 63]
        let (_, rows) = try ValuesFixtureTests.rows("blobs") { i, c in c.collation = collations[i] }
        var row = rows[0]
        row[6] = .null
        XCTAssertEqual(
            json(row),
            #"["AA==","3q2+7w==","","AQI=","tiny 😀","é",null,"long","{\"a\": [1, 2.5, \"x\"], \"b\": null}","AAAAAAEBAAAAAAAAAAAA8D8AAAAAAAAAQA=="]"#
        )
        // MySQL's binary JSON column is embedded as JSON, not as a string.
        XCTAssertEqual(json([.json(#"{"a": 1}"#)]), #"[{"a": 1}]"#)
    }

    func testTimestampToUTC() {
        func ts(_ s: Int64, _ us: Int = 0, fsp: Int = 0) -> String {
            ColumnValue.timestamp(MySQLTimestamp(seconds: s, microseconds: us, fsp: fsp)).jsonText
        }
        XCTAssertEqual(ts(951_782_400), #""2000-02-29 00:00:00""#)
        XCTAssertEqual(ts(4_294_967_295, 5, fsp: 6), #""2106-02-07 06:28:15.000005""#)
        XCTAssertEqual(ts(0, 0, fsp: 3), #""0000-00-00 00:00:00.000""#)
        XCTAssertEqual(ts(86_399, 120_000, fsp: 2), #""1970-01-01 23:59:59.12""#)
    }
}
