/// How the bytes of a character column turn into text, decided by its collation id
/// (TABLE_MAP's charset metadata). Text in every charset of MariaDB 10.11 and MySQL 8 decodes to a
/// Swift string when its bytes are valid in the charset; `binary` and invalid bytes stay bytes, so
/// nothing is ever replaced. Unicode charsets and latin1/ascii are decoded here, single-byte
/// charsets by the server's own tables (`SingleByteCharset`), multi-byte CJK charsets by the
/// `TextConverter` given to the decoder (glibc iconv, outside this pure module); without one they
/// stay bytes.
enum TextCharset: Equatable {
    /// `binary` (collation 63): BINARY/VARBINARY/BLOB.
    case binary
    /// utf8mb3 and utf8mb4 (validated UTF-8).
    case utf8
    /// MySQL's latin1, which is Windows-1252 with the five holes mapped to C1 controls: all 256
    /// bytes map to one code point each.
    case latin1
    /// US-ASCII (bytes above 0x7F are invalid).
    case ascii
    /// UTF-16 big-endian (`utf16`) and `ucs2` (UCS-2 big-endian, a subset: no surrogates).
    case utf16BE
    /// `utf16le`.
    case utf16LE
    /// `utf32`: UTF-32 big-endian.
    case utf32
    /// A single-byte charset: index into `SingleByteCharset.names`.
    case singleByte(UInt8)
    /// A multi-byte charset converted by the injected `TextConverter`: index into `Self.multiByte`.
    case converted(UInt8)
    /// A collation this decoder does not know: kept as bytes.
    case other

    /// The charsets the injected `TextConverter` is asked for (MySQL charset names).
    static let multiByte = ["big5", "gbk", "gb2312", "gb18030", "sjis", "cp932", "ujis", "eucjpms", "euckr"]

    /// Charset names, indexed by `classic` (1-based; 0 = no such collation).
    static let names = [
        "big5", "dec8", "cp850", "hp8", "koi8r", "latin1", "latin2", "swe7", "ascii", "ujis", "sjis", "hebrew", "tis620",
        "euckr", "koi8u", "gb2312", "greek", "cp1250", "gbk", "latin5", "armscii8", "utf8mb3", "ucs2", "cp866",
        "keybcs2", "macce", "macroman", "cp852", "latin7", "utf8mb4", "cp1251", "utf16", "utf16le", "cp1256", "cp1257",
        "utf32", "binary", "geostd8", "cp932", "eucjpms", "gb18030",
    ]

    /// Collation ids 0...255, shared by MySQL and MariaDB (MariaDB 10.11.19
    /// `information_schema.COLLATIONS`, plus MySQL 8's 76 utf8mb3_tolower_ci, 248-250 gb18030 and
    /// 255 utf8mb4_0900_ai_ci): the 1-based index of the charset in `names`.
    private static let classic: [UInt8] = [
        0, 1, 7, 2, 3, 6, 4, 5, 6, 7, 8, 9, 10, 11, 31, 6, 12, 0, 13, 14, 29, 7, 15, 31, 16, 17, 18, 7, 19, 35, 20, 6,
        21, 22, 18, 23, 24, 25, 26, 27, 28, 29, 29, 26, 18, 30, 30, 6, 6, 6, 31, 31, 31, 27, 32, 32, 33, 34, 35, 35, 36,
        36, 33, 37, 21, 9, 18, 34, 24, 2, 17, 12, 4, 25, 5, 15, 22, 7, 20, 29, 3, 28, 8, 22, 1, 14, 16, 19, 11, 13, 23,
        10, 38, 38, 6, 39, 39, 40, 40, 18, 0, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
        32, 32, 32, 32, 32, 32, 0, 0, 0, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,
        23, 23, 23, 23, 0, 0, 0, 0, 0, 0, 0, 23, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
        36, 36, 36, 36, 36, 36, 0, 0, 0, 0, 0, 0, 0, 0, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22,
        22, 22, 22, 22, 22, 22, 22, 22, 0, 0, 0, 0, 0, 0, 0, 22, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 41, 41, 41, 0, 0, 0, 0, 30,
    ]

    /// The charset name of a collation id, nil when unknown. Beyond 0...255: MySQL 8's
    /// utf8mb4 0900 family (256-323); MariaDB's 5xx-7xx Unicode 5.2 collations, its NO PAD
    /// collations (1024 + the PAD SPACE collation's id) and its UCA 14.0 blocks (2048-3327).
    static func charsetName(collation: UInt32) -> String? {
        var id = collation
        switch collation {
        case 0...255: break
        case 256...323: return "utf8mb4"
        case 576...578: return "utf8mb3"
        case 608...610: return "utf8mb4"
        case 640...642: return "ucs2"
        case 672...674: return "utf16"
        case 736...738: return "utf32"
        case 1024...1279: id = collation - 1024
        case 2048...2303: return "utf8mb3"
        case 2304...2559: return "utf8mb4"
        case 2560...2815: return "ucs2"
        case 2816...3071: return "utf16"
        case 3072...3327: return "utf32"
        default: return nil
        }
        let k = Int(classic[Int(id)])
        return k == 0 ? nil : names[k - 1]
    }

    init(collation: UInt32) {
        guard let name = Self.charsetName(collation: collation) else {
            self = .other
            return
        }
        switch name {
        case "binary": self = .binary
        case "utf8mb3", "utf8mb4": self = .utf8
        case "latin1": self = .latin1
        case "ascii": self = .ascii
        case "ucs2", "utf16": self = .utf16BE
        case "utf16le": self = .utf16LE
        case "utf32": self = .utf32
        default:
            if let k = SingleByteCharset.names.firstIndex(of: name) {
                self = .singleByte(UInt8(k))
            } else if let k = Self.multiByte.firstIndex(of: name) {
                self = .converted(UInt8(k))
            } else {
                self = .other
            }
        }
    }

    /// The text, or nil when this charset is not decoded or the bytes are invalid in it.
    func decode(_ raw: ArraySlice<UInt8>, converter: (any TextConverter)?) -> String? {
        raw.withUnsafeBufferPointer { decode($0, converter: converter) }
    }

    /// `.string` when `bytes[range]` decode exactly in this charset, else `.bytes`. The caller has
    /// checked that `range` lies inside `bytes`.
    @inline(__always)
    func value(_ bytes: [UInt8], _ range: Range<Int>, converter: (any TextConverter)?) -> ColumnValue {
        bytes.withUnsafeBufferPointer { all in
            let b = UnsafeBufferPointer(rebasing: all[range])
            if let s = decode(b, converter: converter) { return .string(s) }
            return .bytes(Array(b))
        }
    }

    /// The text, or nil when this charset is not decoded or the bytes are invalid in it.
    @inline(__always)
    func decode(_ b: UnsafeBufferPointer<UInt8>, converter: (any TextConverter)?) -> String? {
        switch self {
        case .utf8:
            // `String(decoding:)` is several times faster than `String(validating:)` on a buffer;
            // it is exact here because ASCII needs no repair.
            return Self.isASCII(b) ? String(decoding: b, as: UTF8.self) : String(validating: b, as: UTF8.self)
        case .binary, .other:
            return nil
        case .converted(let k):
            guard let converter else { return nil }
            return converter.text(b, charset: Self.multiByte[Int(k)])
        default:
            return decodeOther(b)
        }
    }

    private func decodeOther(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        switch self {
        case .ascii:
            return Self.isASCII(raw) ? String(decoding: raw, as: UTF8.self) : nil
        case .latin1:
            return Self.decodeLatin1(raw)
        case .utf16BE, .utf16LE:
            guard raw.count % 2 == 0 else { return nil }
            var units: [UInt16] = []
            units.reserveCapacity(raw.count / 2)
            var i = 0
            while i < raw.count {
                let a = UInt16(raw[i])
                let b = UInt16(raw[i + 1])
                units.append(self == .utf16BE ? a << 8 | b : b << 8 | a)
                i += 2
            }
            return String(validating: units, as: UTF16.self)
        case .utf32:
            guard raw.count % 4 == 0 else { return nil }
            var s = String()
            var i = 0
            while i < raw.count {
                let v = UInt32(raw[i]) << 24 | UInt32(raw[i + 1]) << 16 | UInt32(raw[i + 2]) << 8 | UInt32(raw[i + 3])
                guard let u = Unicode.Scalar(v) else { return nil }
                s.unicodeScalars.append(u)
                i += 4
            }
            return s
        case .singleByte(let k):
            return Self.isASCII(raw) && k != Self.swe7 ? String(decoding: raw, as: UTF8.self) : Self.decodeTable(raw, Int(k))
        case .utf8, .binary, .other, .converted:
            return decode(raw, converter: nil)
        }
    }

    /// True when every byte is below 0x80 (checked 8 bytes at a time).
    @inline(__always)
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        if let base = b.baseAddress {
            while i + 8 <= n {
                if UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                    return false
                }
                i += 8
            }
        }
        while i < n {
            if b[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    private static let swe7 = UInt8(SingleByteCharset.names.firstIndex(of: "swe7") ?? 0)
    private static let tables: [[UInt16]] = SingleByteCharset.names.map { SingleByteCharset.table($0) ?? [] }

    /// Through the charset's table (bytes 0x80...0xFF; swe7: 0x00...0x7F); nil at an unmapped byte.
    private static func decodeTable(_ raw: UnsafeBufferPointer<UInt8>, _ k: Int) -> String? {
        let table = tables[k]
        let offset = k == Int(swe7) ? 0 : 128
        var s = String()
        s.reserveCapacity(raw.count * 2)
        for b in raw {
            let i = Int(b) - offset
            if i < 0 {
                s.unicodeScalars.append(Unicode.Scalar(b))
                continue
            }
            guard i < table.count, table[i] != 0xFFFD, let u = Unicode.Scalar(table[i]) else { return nil }
            s.unicodeScalars.append(u)
        }
        return s
    }

    private static func decodeLatin1(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        if Self.isASCII(raw) {
            return String(decoding: raw, as: UTF8.self)
        }
        var s = String()
        s.reserveCapacity(raw.count * 2)
        for b in raw {
            if b >= 0x80 && b < 0xA0 {
                s.unicodeScalars.append(Unicode.Scalar(Self.cp1252High[Int(b) - 0x80]) ?? "\u{FFFD}")
            } else {
                s.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return s
    }

    /// MySQL `latin1` bytes 0x80...0x9F (ctype-latin1.c `cs_to_uni`): Windows-1252, with 0x81,
    /// 0x8D, 0x8F, 0x90 and 0x9D mapped to the C1 control of the same value.
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
