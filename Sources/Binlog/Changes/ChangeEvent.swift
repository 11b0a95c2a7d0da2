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
        out += "{\"op\":\""
        out += op.rawValue
        out += "\",\"db\":"
        out.appendJSONQuoted(schema)
        out += ",\"table\":"
        out.appendJSONQuoted(table)
        out += ",\"before\":"
        Self.appendImage(before, into: &out)
        out += ",\"after\":"
        Self.appendImage(after, into: &out)
        out += ",\"source\":{\"server_id\":"
        out += String(source.serverID)
        out += ",\"file\":"
        out.appendJSONQuoted(source.file)
        out += ",\"pos\":"
        out += String(source.position)
        out += ",\"gtid\":"
        if let g = source.gtid { out.appendJSONQuoted(g) } else { out += "null" }
        out += ",\"ts\":"
        out += String(source.timestamp)
        out += "}}"
    }

    public var jsonLine: String {
        var s = ""
        appendJSON(into: &s)
        return s
    }

    private static func appendImage(_ image: [NamedValue]?, into out: inout String) {
        guard let image else {
            out += "null"
            return
        }
        out += "{"
        for (i, nv) in image.enumerated() {
            if i > 0 { out += "," }
            out.appendJSONQuoted(nv.name)
            out += ":"
            nv.value.appendJSON(into: &out)
        }
        out += "}"
    }
}
