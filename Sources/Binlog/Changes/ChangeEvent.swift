/// One row change in the change-event schema (docs/change-events.md): what `sluice binlog dump
/// --format json` prints and what the Kafka messages carry.
public struct ChangeEvent: Sendable, Equatable {
    public enum Operation: String, Sendable, Equatable {
        case insert, update, delete
    }

    /// A column value with its label: the column name, or `@n` (1-based) when names are unknown.
    public struct NamedValue: Sendable, Equatable {
        public var name: String
        public var value: ColumnValue
        public init(_ name: String, _ value: ColumnValue) {
            self.name = name
            self.value = value
        }
    }

    /// Where the change comes from.
    public struct Source: Sendable, Equatable {
        public var serverID: UInt32
        /// Binlog file and position of the rows event that holds the change.
        public var file: String
        public var position: UInt64
        /// GTID of the transaction (`uuid:n` for MySQL, `domain-server-seq` for MariaDB), nil when none.
        public var gtid: String?
        /// Event timestamp, seconds since the epoch (UTC).
        public var timestamp: UInt32

        public init(serverID: UInt32, file: String, position: UInt64, gtid: String?, timestamp: UInt32) {
            self.serverID = serverID
            self.file = file
            self.position = position
            self.gtid = gtid
            self.timestamp = timestamp
        }
    }

    public var op: Operation
    public var schema: String
    public var table: String
    /// Present columns of the before image (update, delete), nil for insert.
    public var before: [NamedValue]?
    /// Present columns of the after image (insert, update), nil for delete.
    public var after: [NamedValue]?
    public var source: Source

    public init(op: Operation, schema: String, table: String, before: [NamedValue]?, after: [NamedValue]?, source: Source) {
        self.op = op
        self.schema = schema
        self.table = table
        self.before = before
        self.after = after
        self.source = source
    }

    /// The row changes of one rows event, in row order.
    public static func changes(of rows: RowsEvent, table: TableMapEvent, source: Source) -> [ChangeEvent] {
        let op: Operation = rows.kind == .write ? .insert : rows.kind == .update ? .update : .delete
        var out: [ChangeEvent] = []
        out.reserveCapacity(rows.rowCount)
        func image(_ columns: [Int], _ values: ArraySlice<ColumnValue>) -> [NamedValue] {
            zip(columns, values).map { NamedValue(table.columnLabel($0), $1) }
        }
        for i in 0..<rows.rowCount {
            out.append(ChangeEvent(
                op: op, schema: table.schema, table: table.table,
                before: rows.kind == .write ? nil : image(rows.beforeColumns, rows.beforeRow(i)),
                after: rows.kind == .delete ? nil : image(rows.afterColumns, rows.afterRow(i)),
                source: source))
        }
        return out
    }

    /// The change as one line of JSON (no trailing newline), keys in schema order.
    public func appendJSON(into out: inout String) {
        var bytes: [UInt8] = []
        appendJSON(into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The same JSON as bytes.
    package func appendJSON(into out: inout [UInt8]) {
        Self.appendJSON(op: op, schema: schema, table: table, source: source, into: &out) { isBefore, out in
            let image = isBefore ? before : after
            Self.appendImage(columns: image?.map(\.name) ?? [], values: image?.map(\.value), into: &out)
        }
    }

    public var jsonLine: String {
        var s = ""
        appendJSON(into: &s)
        return s
    }

    /// The change-event JSON of one row change written into bytes, its images by `image`
    /// (called with true for `before`, then false for `after`; it writes an object or `null`).
    /// What `appendJSON` writes, and the Kafka message writes without making a `ChangeEvent`.
    package static func appendJSON(
        op: Operation, schema: String, table: String, source: Source, into out: inout [UInt8],
        image: (_ isBefore: Bool, _ out: inout [UInt8]) -> Void
    ) {
        out.appendASCII("{\"op\":\"")
        out.append(contentsOf: op.rawValue.utf8)
        out.appendASCII("\",\"db\":")
        out.appendJSONQuoted(schema)
        out.appendASCII(",\"table\":")
        out.appendJSONQuoted(table)
        out.appendASCII(",\"before\":")
        image(true, &out)
        out.appendASCII(",\"after\":")
        image(false, &out)
        out.appendASCII(",\"source\":{\"server_id\":")
        out.appendDecimal(UInt64(source.serverID))
        out.appendASCII(",\"file\":")
        out.appendJSONQuoted(source.file)
        out.appendASCII(",\"pos\":")
        out.appendDecimal(source.position)
        out.appendASCII(",\"gtid\":")
        if let g = source.gtid { out.appendJSONQuoted(g) } else { out.appendASCII("null") }
        out.appendASCII(",\"ts\":")
        out.appendDecimal(UInt64(source.timestamp))
        out.appendASCII("}}")
    }

    /// An image from parallel column names and values (`@n`, 1-based, past the last name), or
    /// `null`: what `image` writes for a row change that keeps names and values apart.
    package static func appendImage(columns: [String], values: [ColumnValue]?, into out: inout [UInt8]) {
        guard let values else { return out.appendASCII("null") }
        out.append(0x7B)
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(0x2C) }
            if i < columns.count {
                out.appendJSONQuoted(columns[i])
            } else {
                out.appendJSONQuoted("@\(i + 1)")
            }
            out.append(0x3A)
            v.appendJSON(into: &out)
        }
        out.append(0x7D)
    }
}
