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
    /// A charset this decoder does not convert (e.g. cp1251, gbk, utf16): kept as bytes.
    case other

    /// Collation ids of MariaDB 10.11 (`information_schema.collations`) and MySQL 8.0.
    init(collation: UInt32) {
        switch collation {
        case 63:
            self = .binary
        // utf8mb3: MySQL and MariaDB; 76 utf8mb3_tolower_ci (MySQL 8); 576-578, 1057, 1107, 1216,
        // 1238 (MariaDB extra and NO PAD collations).
        case 33, 76, 83, 192...215, 223, 576...578, 1057, 1107, 1216, 1238:
            self = .utf8
        // utf8mb4: 45, 46, 224-247 both; 255-323 MySQL 8 (0900 family and later); 608-610, 1069,
        // 1070, 1248, 1270 MariaDB.
        case 45, 46, 224...247, 255...323, 608...610, 1069, 1070, 1248, 1270:
            self = .utf8
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
        switch self {
        case .utf8:
            return String(validating: raw, as: UTF8.self)
        case .ascii:
            for b in raw where b >= 0x80 { return nil }
            return String(decoding: raw, as: UTF8.self)
        case .latin1:
            return Self.decodeLatin1(raw)
        case .binary, .other:
            return nil
        }
    }

    private static func decodeLatin1(_ raw: ArraySlice<UInt8>) -> String {
        var ascii = true
        for b in raw where b >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: raw, as: UTF8.self) }
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
