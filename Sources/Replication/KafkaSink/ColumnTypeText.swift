import Binlog

/// The one place a TABLE_MAP column definition becomes MySQL type text (`int unsigned`,
/// `decimal(10,2)`, `datetime(6)`, `varchar`) and a `java.sql.Types` code: Canal's `mysqlType` and
/// `sqlType`, the `sluice.types` header of Debezium messages, and what the DR applier reads back.
///
/// The binlog carries no declared lengths of string columns (only byte sizes), no display widths
/// and no ENUM/SET member lists unless `binlog_row_metadata=FULL`: string types are named without
/// a length (`varchar`, `char`), TEXT and BLOB by their family (`text`, `blob`). Everything the
/// value's exact decoding needs (signedness, DECIMAL scale, fractional digits, BIT width) is kept.
package enum ColumnTypeText {
    /// The binary collation: string columns with it are BINARY/VARBINARY/BLOB.
    static let binaryCollation: UInt32 = 63

    package static func text(_ c: ColumnDefinition) -> String {
        let unsigned = c.unsigned ? " unsigned" : ""
        switch c.type {
        case .tiny: return "tinyint" + unsigned
        case .short: return "smallint" + unsigned
        case .int24: return "mediumint" + unsigned
        case .long: return "int" + unsigned
        case .longlong: return "bigint" + unsigned
        case .float: return "float" + unsigned
        case .double: return "double" + unsigned
        case .decimal: return "decimal"
        case .newdecimal: return "decimal(\(c.metadata >> 8),\(c.metadata & 0xFF))" + unsigned
        case .year: return "year"
        case .date, .newdate: return "date"
        case .time: return "time"
        case .time2: return fsp("time", c.metadata)
        case .datetime: return "datetime"
        case .datetime2: return fsp("datetime", c.metadata)
        case .timestamp: return "timestamp"
        case .timestamp2: return fsp("timestamp", c.metadata)
        case .varchar, .varString: return c.collation == binaryCollation ? "varbinary" : "varchar"
        case .string:
            // The high metadata byte is the real type when its bits 4 and 5 are both set.
            let real = UInt8(truncatingIfNeeded: c.metadata >> 8)
            if real & 0x30 == 0x30, real == ColumnType.enumType.rawValue { return "enum" }
            if real & 0x30 == 0x30, real == ColumnType.set.rawValue { return "set" }
            return c.collation == binaryCollation ? "binary" : "char"
        case .enumType: return "enum"
        case .set: return "set"
        case .tinyBlob, .blob, .mediumBlob, .longBlob:
            let size = ["tiny", "", "medium", "long"]
            let prefix = c.metadata >= 1 && c.metadata <= 4 ? size[Int(c.metadata) - 1] : ""
            return prefix + (c.collation == binaryCollation || c.collation == nil ? "blob" : "text")
        case .bit: return "bit(\(Int(c.metadata >> 8) * 8 + Int(c.metadata & 0xFF)))"
        case .json: return "json"
        case .geometry: return "geometry"
        case .null: return "null"
        case .typedArray: return "typed_array"
        case .vector: return "vector"
        }
    }

    private static func fsp(_ name: String, _ metadata: UInt16) -> String {
        metadata > 0 ? "\(name)(\(metadata))" : name
    }

    /// The `java.sql.Types` code Canal writes for a type text of `text(_:)`.
    package static func sqlType(_ text: String) -> Int {
        let base = family(text)
        let unsigned = text.hasSuffix(" unsigned")
        switch base {
        case "tinyint": return unsigned ? 5 : -6  // SMALLINT : TINYINT
        case "smallint": return unsigned ? 4 : 5  // INTEGER : SMALLINT
        case "mediumint": return 4  // INTEGER
        case "int": return unsigned ? -5 : 4  // BIGINT : INTEGER
        case "bigint": return unsigned ? 3 : -5  // DECIMAL : BIGINT
        case "float": return 7  // REAL
        case "double": return 8  // DOUBLE
        case "decimal": return 3  // DECIMAL
        case "year": return 12  // VARCHAR
        case "date": return 91  // DATE
        case "time": return 92  // TIME
        case "datetime", "timestamp": return 93  // TIMESTAMP
        case "char", "enum", "set": return 1  // CHAR
        case "varchar", "json": return 12  // VARCHAR
        case "tinytext", "text", "mediumtext", "longtext": return 2005  // CLOB
        case "binary", "geometry": return -2  // BINARY
        case "varbinary": return -3  // VARBINARY
        case "tinyblob", "blob", "mediumblob", "longblob": return 2004  // BLOB
        case "bit": return -7  // BIT
        default: return 1111  // OTHER
        }
    }

    /// The type name without parameters or `unsigned`: `decimal(10,2) unsigned` -> `decimal`.
    package static func family(_ text: String) -> String {
        var name = Substring(text)
        if let space = name.firstIndex(of: " ") { name = name[..<space] }
        if let paren = name.firstIndex(of: "(") { name = name[..<paren] }
        return String(name)
    }

    /// The number in parentheses (`datetime(6)` -> 6, `bit(12)` -> 12), nil when none.
    package static func parameter(_ text: String) -> Int? {
        guard let open = text.firstIndex(of: "("), let close = text[open...].firstIndex(of: ")") else { return nil }
        return Int(text[text.index(after: open)..<close])
    }
}
