import Binlog
import MySQLSource

/// A mapped table as the incident commands (`snapshot`, `verify`) read it with SQL: its columns
/// in table order, how each column's text from the server becomes the `ColumnValue` the binlog
/// decoder would have produced (so `TableMapping.writes(for:)` renders the same key, value and
/// version for a row read by SQL as for the same row replicated), and its primary key, which
/// orders the chunked reads. A table without a primary key is refused: its rows can't be read
/// in chunks that neither skip nor repeat a row.
package struct SourceTable: Sendable, Equatable {
    /// How a column is selected and converted.
    package enum Kind: Sendable, Equatable {
        case signed, unsigned, decimal, float, double, year, bit, enumeration, set
        /// Binary strings, blobs and GEOMETRY: selected as HEX(), kept as bytes.
        case binary(geometry: Bool)
        /// Text, temporal and JSON: the server's text is the text the binlog path stores
        /// (TIMESTAMP in UTC: the session's time zone is set to +00:00).
        case text
    }

    package struct Column: Sendable, Equatable {
        package var name: String
        package var kind: Kind
    }

    package var database: String
    package var table: String
    package var columns: [Column]
    /// Indexes into `columns` of the primary key, in key order.
    package var primaryKey: [Int]

    package var qualifiedTable: String { "\(database).\(table)" }
    package var quotedName: String { "\(Self.quote(database)).\(Self.quote(table))" }

    package init(database: String, table: String, columns: [Column], primaryKey: [Int]) {
        self.database = database
        self.table = table
        self.columns = columns
        self.primaryKey = primaryKey
    }

    /// Reads the table's columns and primary key from information_schema; throws `.unknownTable`
    /// when the table does not exist, `.noPrimaryKey` when it has none.
    package init(database: String, table: String, connection: MySQLConnection) throws {
        self.database = database
        self.table = table
        let condition = "TABLE_SCHEMA = \(Self.literal(database)) AND TABLE_NAME = \(Self.literal(table))"
        let cols = try connection.query(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS WHERE \(condition) "
                + "ORDER BY ORDINAL_POSITION")
        guard !cols.rows.isEmpty else {
            throw IncidentError(.unknownTable, "table `\(database)`.`\(table)` does not exist on the source")
        }
        columns = cols.rows.map { row in
            Column(name: row[0] ?? "", kind: Self.kind(dataType: row[1] ?? "", columnType: row[2] ?? ""))
        }
        let key = try connection.query(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE \(condition) AND INDEX_NAME = 'PRIMARY' "
                + "ORDER BY SEQ_IN_INDEX")
        let names = columns.map(\.name)
        primaryKey = key.rows.compactMap { row in row[0].flatMap { names.firstIndex(of: $0) } }
        guard !primaryKey.isEmpty else {
            throw IncidentError(
                .noPrimaryKey, "table `\(database)`.`\(table)` has no primary key; it can't be read in chunks")
        }
    }

    static func kind(dataType: String, columnType: String) -> Kind {
        let unsigned = columnType.lowercased().contains("unsigned")
        switch dataType.lowercased() {
        case "tinyint", "smallint", "mediumint", "int", "integer", "bigint": return unsigned ? .unsigned : .signed
        case "decimal", "numeric": return .decimal
        case "float": return .float
        case "double", "real": return .double
        case "year": return .year
        case "bit": return .bit
        case "enum": return .enumeration
        case "set": return .set
        case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob": return .binary(geometry: false)
        case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
            "geometrycollection":
            return .binary(geometry: true)
        default: return .text
        }
    }

    /// The select list: one expression per column, in table order.
    var selectList: String {
        columns.map { c in
            let q = Self.quote(c.name)
            switch c.kind {
            case .binary: return "HEX(\(q))"
            case .bit: return "CAST(\(q) AS UNSIGNED)"
            case .float: return "CAST(\(q) AS DOUBLE)"
            default: return q
            }
        }.joined(separator: ", ")
    }

    /// One chunk of at most `limit` rows in primary-key order, after the row whose selected key
    /// texts are `after` (nil: from the start).
    func chunkQuery(after: [String?]?, limit: Int) -> String {
        var sql = "SELECT \(selectList) FROM \(quotedName)"
        if let after { sql += " WHERE " + Self.after(primaryKey.map { columns[$0] }, after) }
        sql += " ORDER BY " + primaryKey.map { Self.quote(columns[$0].name) }.joined(separator: ", ")
        sql += " LIMIT \(limit)"
        return sql
    }

    /// `(a, b) > (x, y)` spelled out so the optimizer uses the key as a range:
    /// `a > x OR (a = x AND b > y)`.
    private static func after(_ key: [Column], _ values: [String?]) -> String {
        var terms: [String] = []
        for i in key.indices {
            var parts: [String] = []
            for j in 0..<i { parts.append("\(quote(key[j].name)) = \(literal(values[j], key[j].kind))") }
            parts.append("\(quote(key[i].name)) > \(literal(values[i], key[i].kind))")
            terms.append("(" + parts.joined(separator: " AND ") + ")")
        }
        return "(" + terms.joined(separator: " OR ") + ")"
    }

    /// A row of a chunk (as selected by `selectList`) as the binlog decoder would have given it.
    func values(_ row: [String?]) throws -> [ColumnValue] {
        var out: [ColumnValue] = []
        out.reserveCapacity(columns.count)
        for (c, text) in zip(columns, row) {
            guard let text else {
                out.append(.null)
                continue
            }
            out.append(try Self.value(text, c, table: qualifiedTable))
        }
        return out
    }

    static func value(_ text: String, _ c: Column, table: String) throws -> ColumnValue {
        func bad() -> IncidentError {
            IncidentError(.unreadableValue, "column '\(c.name)' of \(table): the server sent '\(text)' for a \(c.kind)")
        }
        switch c.kind {
        case .signed:
            guard let v = Int64(text) else { throw bad() }
            return .int(v)
        case .unsigned:
            guard let v = UInt64(text) else { throw bad() }
            return .uint(v)
        case .decimal: return .decimal(text)
        case .float:
            guard let v = Double(text) else { throw bad() }
            return .float(Float(v))
        case .double:
            guard let v = Double(text) else { throw bad() }
            return .double(v)
        case .year:
            guard let v = Int(text) else { throw bad() }
            return .year(v)
        case .bit:
            guard let v = UInt64(text) else { throw bad() }
            return .bit(v)
        case .enumeration: return .enumValue(index: 0, name: text)
        case .set: return .set(bits: 0, names: text.isEmpty ? [] : text.split(separator: ",").map(String.init))
        case .binary(let geometry):
            guard let bytes = Self.hexBytes(text) else { throw bad() }
            return geometry ? .geometry(bytes) : .bytes(bytes)
        case .text: return .string(text)
        }
    }

    /// The bytes of HEX() text (upper or lower case), nil for anything else.
    static func hexBytes(_ text: String) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// A selected key value as an SQL literal (HEX text back to bytes for binary columns).
    static func literal(_ text: String?, _ kind: Kind) -> String {
        guard let text else { return "NULL" }
        if case .binary = kind { return "UNHEX(\(literal(text)))" }
        return literal(text)
    }

    /// A quoted SQL string literal (NUL bytes can't occur: the texts come from the server or a key).
    package static func literal(_ text: String) -> String { "'" + sqlString(text) + "'" }

    /// A quoted SQL identifier.
    package static func quote(_ name: String) -> String { "`" + name.replacingOccurrences(of: "`", with: "``") + "`" }
}
