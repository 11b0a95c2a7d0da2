import XCTest

@testable import Binlog

/// Every prefix of every captured value (Fixtures/values) throws FieldError .short, leaves the
/// cursor where it was, and never traps.
final class ValuesTruncationTests: XCTestCase {
    func testEveryPrefixOfEveryCapturedValueIsShort() throws {
        var checked = 0
        for name in [
            "ints", "floats", "decimals", "times", "datetimes", "oldtemporal", "hirestemporal", "strings", "blobs",
            "enums",
            "bits", "nulls", "wide",
        ] {
            let f = try ValuesFixture.load(name)
            let cols = try f.columns { i, c in
                c.collation = 45
                if name == "hirestemporal" { c.metadata = [3, 6, 1, 6, 3, 6][i] }
            }
            for row in f.rows {
                let (_, ranges) = try ValuesFixture.decodeRow(row, cols)
                var k = 0
                for (i, c) in cols.enumerated() where row[i / 8] & (1 << (i % 8)) == 0 {
                    let range = ranges[k]
                    k += 1
                    for n in 0..<range.count {
                        var r = ByteReader(Array(row[range.lowerBound..<(range.lowerBound + n)]))
                        XCTAssertThrowsError(try c.decodeValue(from: &r), "\(name) column \(i) prefix \(n)") { e in
                            XCTAssertEqual((e as? FieldError)?.code, .short, "\(name) column \(i) prefix \(n): \(e)")
                        }
                        XCTAssertEqual(r.offset, 0)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 3_800)
    }
}
