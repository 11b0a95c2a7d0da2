import XCTest

@testable import Binlog

/// Random bytes for every column type and random metadata: each decode returns a value or throws a
/// FieldError; it never traps, and on error the cursor is where the value started. Deterministic
/// (fixed-seed generator), so a failure reproduces.
final class ValuesRandomInputTests: XCTestCase {
    private struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(state: 20_261_128)
        var values = 0
        var errors = 0
        for _ in 0..<40_000 {
            let type = ColumnType.allCases.randomElement(using: &rng) ?? .tiny
            // Mostly plausible metadata, sometimes anything.
            let meta: UInt16 =
                Bool.random(using: &rng)
                ? UInt16.random(in: 0...8, using: &rng)
                : UInt16.random(in: 0...UInt16.max, using: &rng)
            let def = ColumnDefinition(
                type: type, metadata: meta, unsigned: Bool.random(using: &rng),
                collation: [nil, 45, 63, 8, 11, 54, 60][Int.random(in: 0..<7, using: &rng)],
                enumValues: ["a"], setValues: ["x", "y"])
            let bytes = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var r = ByteReader(bytes)
            do {
                _ = try def.decodeValue(from: &r)
                values += 1
            } catch {
                XCTAssertEqual(r.offset, 0, "\(type) meta \(meta) \(bytes): cursor moved on error")
                errors += 1
            }
        }
        XCTAssertGreaterThan(values, 1_000)
        XCTAssertGreaterThan(errors, 1_000)
    }

    func testRandomBinaryJSONNeverTraps() {
        var rng = SplitMix64(state: 42)
        var ok = 0
        for _ in 0..<40_000 {
            var doc = [UInt8.random(in: 0...0x0F, using: &rng)]
            doc += (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                // Small numbers make plausible counts, sizes and offsets.
                Bool.random(using: &rng)
                    ? UInt8.random(in: 0...12, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            if (try? BinaryJSON.text(doc, start: 0, end: doc.count)) != nil { ok += 1 }
        }
        XCTAssertGreaterThan(ok, 100)
    }
}
