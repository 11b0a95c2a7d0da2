/// How the bytes of a character column turn into text, decided by its collation id
/// (TABLE_MAP's charset metadata). Only charsets that decode exactly are text; everything else
/// (and any byte sequence invalid in its charset) stays bytes, so nothing is ever replaced.
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
    /// A charset this decoder does not convert (e.g. cp1251, gbk, sjis): kept as bytes.
    case other

    /// Collation ids of MariaDB 10.11 (`information_schema.collation_character_set_applicability`,
    /// including the UCA 14.0 blocks from 2048) and MySQL 8.0.
    init(collation: UInt32) {
        switch collation {
        case 63:
            self = .binary
        // utf8mb3: MySQL and MariaDB; 76 utf8mb3_tolower_ci (MySQL 8); 576-578, 1057, 1107, 1216,
        // 1238 and the uca1400 block 2048-2303 (MariaDB).
        case 33, 76, 83, 192...215, 223, 576...578, 1057, 1107, 1216, 1238, 2048...2303:
            self = .utf8
        // utf8mb4: 45, 46, 224-247 both; 255-323 MySQL 8 (0900 family and later); 608-610, 1069,
        // 1070, 1248, 1270 and the uca1400 block 2304-2559 (MariaDB).
        case 45, 46, 224...247, 255...323, 608...610, 1069, 1070, 1248, 1270, 2304...2559:
            self = .utf8
        // ucs2 and utf16 (both big-endian).
        case 35, 90, 128...151, 159, 640...642, 1059, 1114, 1152, 1174, 2560...2815,
            54, 55, 101...124, 672...674, 1078, 1079, 1125, 1147, 2816...3071:
            self = .utf16BE
        case 56, 62, 1080, 1086:
            self = .utf16LE
        case 60, 61, 160...183, 736...738, 1084, 1085, 1184, 1206, 3072...3327:
            self = .utf32
        case 5, 8, 15, 31, 47, 48, 49, 94, 1032, 1071:
            self = .latin1
        case 11, 65, 1035, 1089:
            self = .ascii
        default:
            self = .other
        }
    }

    /// The text, or nil when this charset is not decoded or the bytes are invalid in it.
    func decode(_ raw: ArraySlice<UInt8>) -> String? {
        raw.withUnsafeBufferPointer { decode($0) }
    }

    /// `.string` when `bytes[range]` decode exactly in this charset, else `.bytes`. The caller has
    /// checked that `range` lies inside `bytes`.
    @inline(__always)
    func value(_ bytes: [UInt8], _ range: Range<Int>) -> ColumnValue {
        bytes.withUnsafeBufferPointer { all in
            let b = UnsafeBufferPointer(rebasing: all[range])
            if let s = decode(b) { return .string(s) }
            return .bytes(Array(b))
        }
    }

    /// The text, or nil when this charset is not decoded or the bytes are invalid in it.
    @inline(__always)
    func decode(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        switch self {
        case .utf8:
            // `String(decoding:)` is several times faster than `String(validating:)` on a buffer;
            // it is exact here because ASCII needs no repair.
            return Self.isASCII(b) ? String(decoding: b, as: UTF8.self) : String(validating: b, as: UTF8.self)
        case .binary, .other:
            return nil
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
        case .utf8, .binary, .other:
            return decode(raw)
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
