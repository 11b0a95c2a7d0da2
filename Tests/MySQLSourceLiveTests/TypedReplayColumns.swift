import Foundation
import TestSupport

/// The columns of the typed-workload replay (`TypedReplayTests`): every column type MariaDB 10.11
/// has, each with a generator of SQL literals (random and edge values), the expression that reads
/// the stored value back from the server, and how `sluice binlog dump`'s JSON value is compared
/// with it.
struct ReplayColumn {
    enum Kind {
        case integer(bits: Int, unsigned: Bool)
        case year, bit, decimal, float, double, temporal
        /// Text in `charset`: a JSON string of the text.
        case text(charset: String)
        /// CHAR(n) in a single- or multi-byte charset (trailing spaces are not part of the value).
        case char(charset: String)
        /// Bytes as base64 (BINARY, VARBINARY, BLOB, GEOMETRY).
        case bytes
        /// BINARY(n): the server pads with zero bytes to n.
        case binary(length: Int)
        case enumeration, set, inet6, uuid
    }

    var name: String
    var sqlType: String
    var kind: Kind
    /// The SQL literal of a value: `edge` 0 = smallest, 1 = largest, else random.
    var literal: (inout ReplayRandom, _ edge: Int) -> String

    /// What the server returns for the column, as compared text.
    var readBack: String {
        switch kind {
        case .integer, .year, .decimal, .temporal, .float, .double, .inet6, .uuid:
            return "CAST(`\(name)` AS CHAR)"
        case .bit: return "HEX(`\(name)`)"
        case .text, .char: return "HEX(CONVERT(`\(name)` USING utf8mb4))"
        case .bytes, .binary: return "HEX(`\(name)`)"
        case .enumeration, .set: return "`\(name)`"
        }
    }

    /// The numeric value of ENUM/SET, for MINIMAL metadata (no member names).
    var rawReadBack: String {
        switch kind {
        case .enumeration, .set: return "CAST(`\(name)` + 0 AS UNSIGNED)"
        default: return readBack
        }
    }
}

/// Random values from a seed, so a failing pass can be replayed.
struct ReplayRandom {
    private var generator: SeededGenerator
    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) } }
}

func hexLiteral(_ bytes: [UInt8]) -> String {
    bytes.isEmpty ? "''" : "X'" + bytes.map { String(format: "%02X", $0) }.joined() + "'"
}

func utf8Literal(_ s: String) -> String {
    s.isEmpty ? "''" : "_utf8mb4 " + hexLiteral(Array(s.utf8))
}

enum ReplayCatalogue {
    /// Charsets of MariaDB 10.11 (`SHOW CHARACTER SET`, binary excluded) with a text column each.
    static let charsets = [
        "armscii8", "ascii", "big5", "cp1250", "cp1251", "cp1256", "cp1257", "cp850", "cp852", "cp866", "cp932",
        "dec8", "eucjpms", "euckr", "gb2312", "gbk", "geostd8", "greek", "hebrew", "hp8", "keybcs2", "koi8r",
        "koi8u", "latin1", "latin2", "latin5", "latin7", "macce", "macroman", "sjis", "swe7", "tis620", "ucs2",
        "ujis", "utf16", "utf16le", "utf32", "utf8mb3", "utf8mb4",
    ]

    /// Characters tried for each charset's alphabet; the ones a charset cannot hold are dropped
    /// by asking the server (`alphabet(for:)`).
    static let pool: [Character] = Array(
        "aZ09 _-'\"\\%é€£¥ßøÅñçüŠžČőŁąĞİşΑλΩБжЯїґאשعيกขÀ漢字中文支付商戶名稱測試日本語テストカナ한국어시험ﾃ😀€™—…")

    static func integers() -> [ReplayColumn] {
        let widths: [(String, Int)] = [
            ("TINYINT", 8), ("SMALLINT", 16), ("MEDIUMINT", 24), ("INT", 32), ("BIGINT", 64),
        ]
        var out: [ReplayColumn] = []
        for (type, bits) in widths {
            for unsigned in [false, true] {
                out.append(
                    ReplayColumn(
                        name: "\(type.lowercased())\(unsigned ? "_u" : "")",
                        sqlType: type + (unsigned ? " UNSIGNED" : ""), kind: .integer(bits: bits, unsigned: unsigned)
                    ) { rng, edge in
                        let max: UInt64 =
                            bits == 64
                            ? (unsigned ? UInt64.max : UInt64(Int64.max))
                            : (unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1)
                        let min: Int64 = unsigned ? 0 : (bits == 64 ? Int64.min : -(1 << (bits - 1)))
                        if edge == 0 { return String(min) }
                        if edge == 1 { return String(max) }
                        let r = rng.next() >> UInt64(64 - bits)
                        return unsigned
                            ? String(r) : String(Int64(bitPattern: r << UInt64(64 - bits)) >> Int64(64 - bits))
                    })
            }
        }
        return out
    }

    static func numbers() -> [ReplayColumn] {
        var out: [ReplayColumn] = [
            ReplayColumn(name: "year_c", sqlType: "YEAR", kind: .year) { rng, edge in
                edge == 0 ? "0" : edge == 1 ? "2155" : String(rng.int(1901...2155))
            }
        ]
        for bits in [1, 7, 8, 33, 64] {
            out.append(
                ReplayColumn(name: "bit\(bits)", sqlType: "BIT(\(bits))", kind: .bit) { rng, edge in
                    let max: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
                    return "b'" + String(edge == 0 ? 0 : edge == 1 ? max : rng.next() & max, radix: 2) + "'"
                })
        }
        for (p, s) in [(5, 2), (10, 0), (18, 9), (38, 10), (65, 30)] {
            out.append(
                ReplayColumn(name: "dec_\(p)_\(s)", sqlType: "DECIMAL(\(p),\(s))", kind: .decimal) { rng, edge in
                    let whole = p - s
                    func digits(_ n: Int, nines: Bool) -> String {
                        String((0..<n).map { _ in nines ? "9" : Character(String(rng.int(0...9))) })
                    }
                    let intPart = whole == 0 ? "0" : digits(whole, nines: edge != 2)
                    let frac = s == 0 ? "" : "." + digits(s, nines: edge != 2)
                    let sign = edge == 0 || (edge == 2 && rng.int(0...1) == 0) ? "-" : ""
                    return sign + intPart + frac
                })
        }
        // Values with at most 6 significant digits (FLOAT) or 15 (DOUBLE) and an exact binary
        // form, so the server's text reads back as the very stored number.
        out.append(
            ReplayColumn(name: "float_c", sqlType: "FLOAT", kind: .float) { rng, edge in
                edge == 0 ? "-99999.5" : edge == 1 ? "99999.5" : String(Double(rng.int(-199_999...199_999)) / 2)
            })
        out.append(
            ReplayColumn(name: "double_c", sqlType: "DOUBLE", kind: .double) { rng, edge in
                edge == 0
                    ? "-1.7976931348623157e308"
                    : edge == 1
                        ? "2.2250738585072014e-308" : String(Double(rng.int(-999_999_999_999...999_999_999_999)) / 16)
            })
        return out
    }

    static func temporal() -> [ReplayColumn] {
        var out: [ReplayColumn] = [
            ReplayColumn(name: "date_c", sqlType: "DATE", kind: .temporal) { rng, edge in
                edge == 0
                    ? "'1000-01-01'"
                    : edge == 1
                        ? "'9999-12-31'" : "'\(rng.int(1000...9999))-\(rng.int(1...12))-\(rng.int(1...28))'"
            }
        ]
        for fsp in 0...6 {
            func fraction(_ rng: inout ReplayRandom, _ edge: Int) -> String {
                guard fsp > 0 else { return "" }
                let max = Int(pow(10, Double(fsp))) - 1
                return "." + String(format: "%0\(fsp)d", edge == 0 ? 0 : edge == 1 ? max : rng.int(0...max))
            }
            out.append(
                ReplayColumn(name: "time\(fsp)", sqlType: "TIME(\(fsp))", kind: .temporal) { rng, edge in
                    if edge == 0 { return "'-838:59:59" + fraction(&rng, edge) + "'" }
                    if edge == 1 { return "'838:59:59" + fraction(&rng, edge) + "'" }
                    let sign = rng.int(0...1) == 0 ? "-" : ""
                    return "'\(sign)\(rng.int(0...837)):\(rng.int(0...59)):\(rng.int(0...59))" + fraction(&rng, edge)
                        + "'"
                })
            out.append(
                dateTime(
                    "datetime\(fsp)", "DATETIME(\(fsp))", ("1000-01-01 00:00:00", "9999-12-31 23:59:59"), 1000...9999,
                    fraction))
            out.append(
                dateTime(
                    "timestamp\(fsp)", "TIMESTAMP(\(fsp)) NULL", ("1970-01-01 00:00:01", "2038-01-19 03:14:07"),
                    1971...2037, fraction))
        }
        return out
    }

    private static func dateTime(
        _ name: String, _ type: String, _ edges: (String, String), _ years: ClosedRange<Int>,
        _ fraction: @escaping (inout ReplayRandom, Int) -> String
    ) -> ReplayColumn {
        ReplayColumn(name: name, sqlType: type, kind: .temporal) { rng, edge in
            if edge < 2 { return "'" + (edge == 0 ? edges.0 : edges.1) + fraction(&rng, edge) + "'" }
            return "'\(rng.int(years))-\(rng.int(1...12))-\(rng.int(1...28)) "
                + "\(rng.int(0...23)):\(rng.int(0...59)):\(rng.int(0...59))" + fraction(&rng, edge) + "'"
        }
    }

    /// Text columns: one VARCHAR per charset, then every string size in utf8mb4 and a few others.
    static func strings(alphabets: [String: [Character]]) -> [ReplayColumn] {
        func text(_ name: String, _ type: String, _ charset: String, maxChars: Int, char: Bool = false) -> ReplayColumn
        {
            let alphabet = alphabets[charset] ?? Array("abc")
            return ReplayColumn(
                name: name, sqlType: "\(type) CHARACTER SET \(charset)",
                kind: char ? .char(charset: charset) : .text(charset: charset)
            ) { rng, edge in
                if edge == 0 { return "''" }
                let n = edge == 1 ? maxChars : rng.int(0...maxChars)
                var s = String((0..<n).map { _ in alphabet[rng.int(0...(alphabet.count - 1))] })
                if edge == 2, !s.isEmpty, rng.int(0...3) == 0 {
                    s.removeLast()
                    s.append(" ")
                }
                return utf8Literal(s)
            }
        }
        var out = charsets.map { text("v_\($0)", "VARCHAR(12)", $0, maxChars: 12) }
        out += [
            text("char10", "CHAR(10)", "utf8mb4", maxChars: 10, char: true),
            text("char255", "CHAR(255)", "utf8mb4", maxChars: 255, char: true),
            text("char_gbk", "CHAR(20)", "gbk", maxChars: 20, char: true),
            text("char_latin1", "CHAR(20)", "latin1", maxChars: 20, char: true),
            text("varchar300", "VARCHAR(300)", "utf8mb4", maxChars: 300),
            text("tinytext_c", "TINYTEXT", "utf8mb4", maxChars: 60),
            text("text_c", "TEXT", "utf8mb4", maxChars: 400),
            text("mediumtext_c", "MEDIUMTEXT", "utf8mb4", maxChars: 500),
            text("longtext_c", "LONGTEXT", "utf8mb4", maxChars: 500),
            text("text_big5", "TEXT", "big5", maxChars: 100),
            text("text_sjis", "MEDIUMTEXT", "sjis", maxChars: 100),
            text("text_cp1251", "TEXT", "cp1251", maxChars: 100),
        ]
        func bytes(_ name: String, _ type: String, max: Int, binary: Int? = nil) -> ReplayColumn {
            ReplayColumn(name: name, sqlType: type, kind: binary.map { .binary(length: $0) } ?? .bytes) { rng, edge in
                if edge == 0 { return "''" }
                return hexLiteral(rng.bytes(edge == 1 ? max : rng.int(0...max)))
            }
        }
        out += [
            bytes("binary8", "BINARY(8)", max: 8, binary: 8), bytes("varbinary20", "VARBINARY(20)", max: 20),
            bytes("varbinary300", "VARBINARY(300)", max: 300), bytes("tinyblob_c", "TINYBLOB", max: 255),
            bytes("blob_c", "BLOB", max: 1000), bytes("mediumblob_c", "MEDIUMBLOB", max: 2000),
            bytes("longblob_c", "LONGBLOB", max: 2000),
        ]
        return out
    }

    static let enumMembers = ["a", "b b", "c'", "ü", "支付"]
    static let bigEnumMembers = (1...300).map { "m\($0)" }
    static let setMembers = (1...64).map { "s\($0)" }

    static func others() -> [ReplayColumn] {
        func enumeration(_ name: String, _ members: [String]) -> ReplayColumn {
            ReplayColumn(
                name: name,
                sqlType: "ENUM("
                    + members.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
                    .joined(separator: ",") + ")", kind: .enumeration
            ) { rng, edge in
                utf8Literal(members[edge == 0 ? 0 : edge == 1 ? members.count - 1 : rng.int(0...(members.count - 1))])
            }
        }
        return [
            enumeration("enum_c", enumMembers), enumeration("enum_big", bigEnumMembers),
            ReplayColumn(name: "set_small", sqlType: "SET('x','y','z')", kind: .set) { rng, edge in
                String(edge == 0 ? 0 : edge == 1 ? 7 : rng.int(0...7))
            },
            ReplayColumn(
                name: "set_big", sqlType: "SET(" + setMembers.map { "'\($0)'" }.joined(separator: ",") + ")", kind: .set
            ) { rng, edge in
                let bits: UInt64 = edge == 0 ? 0 : edge == 1 ? .max : rng.next()
                return "'"
                    + setMembers.indices.filter { bits >> UInt64($0) & 1 == 1 }.map { setMembers[$0] }
                    .joined(separator: ",") + "'"
            },
            ReplayColumn(name: "json_c", sqlType: "JSON", kind: .text(charset: "utf8mb4")) { rng, edge in
                edge == 0
                    ? "'{}'"
                    : utf8Literal("{\"k\": [\(rng.int(-9...9)), \"支付\", null, true], \"n\": \(rng.next() >> 12)}")
            },
            ReplayColumn(name: "geometry_c", sqlType: "GEOMETRY", kind: .bytes) { rng, edge in
                edge == 0
                    ? "ST_GeomFromText('POINT(0 0)')"
                    : "ST_GeomFromText('LINESTRING(\(rng.int(-90...90)) \(rng.int(-180...180)), \(rng.int(0...9)).5 1)')"
            },
            ReplayColumn(name: "point_c", sqlType: "POINT", kind: .bytes) { rng, edge in
                "ST_PointFromText('POINT(\(edge == 0 ? 0 : rng.int(-1000...1000)) \(rng.int(-9...9)).25)', \(edge == 1 ? 4326 : 0))"
            },
            ReplayColumn(name: "inet6_c", sqlType: "INET6", kind: .inet6) { rng, edge in
                if edge == 0 { return "'::'" }
                if edge == 1 { return "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'" }
                if rng.int(0...1) == 0 {
                    return "'::ffff:\(rng.int(0...255)).\(rng.int(0...255)).1.\(rng.int(0...255))'"
                }
                return "'" + (0..<8).map { _ in String(rng.int(0...0xFFFF), radix: 16) }.joined(separator: ":") + "'"
            },
            ReplayColumn(name: "uuid_c", sqlType: "UUID", kind: .uuid) { rng, edge in
                if edge == 0 { return "'00000000-0000-0000-0000-000000000000'" }
                if edge == 1 { return "'ffffffff-ffff-ffff-ffff-ffffffffffff'" }
                var b = rng.bytes(16)
                // Versions 1...5 with the RFC 4122 variant (stored with swapped segments), and
                // version 0 (stored as written).
                let version = UInt8(rng.int(0...5))
                b[6] = b[6] & 0x0F | version << 4
                if version > 0 { b[8] = b[8] & 0x3F | 0x80 }
                let h = b.map { String(format: "%02x", $0) }.joined()
                let p = Array(h)
                return
                    "'\(String(p[0..<8]))-\(String(p[8..<12]))-\(String(p[12..<16]))-\(String(p[16..<20]))-\(String(p[20..<32]))'"
            },
        ]
    }
}
