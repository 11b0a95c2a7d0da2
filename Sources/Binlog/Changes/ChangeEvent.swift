/// The change-event schema (docs/change-events.md): the JSON line `sluice binlog dump --format json`
/// prints for each row change, and the head of each Kafka message. Rendering only: the row change
/// itself is a `RowChange` (the server dump), or a decoded rows event (the file dump, whose row
/// images may lack columns).
package enum ChangeEvent {
    package typealias Operation = RowChange.Kind

    /// Where the change comes from: the `source` member.
    package struct Source: Sendable, Equatable {
        package var serverID: UInt32
        /// Binlog file and position of the rows event that holds the change.
        package var file: String
        package var position: UInt64
        /// GTID of the transaction (`uuid:n` for MySQL, `domain-server-seq` for MariaDB), nil when none.
        package var gtid: String?
        /// Event timestamp, seconds since the epoch (UTC).
        package var timestamp: UInt32

        package init(serverID: UInt32, file: String, position: UInt64, gtid: String?, timestamp: UInt32) {
            self.serverID = serverID
            self.file = file
            self.position = position
            self.gtid = gtid
            self.timestamp = timestamp
        }
    }

    /// One JSON line (no trailing newline) per row of a rows event, in row order; columns are
    /// labelled by name, or `@n` (1-based) when names are unknown.
    package static func jsonLines(of rows: RowsEvent, table: TableMapEvent, source: Source) -> [String] {
        let op = Operation(rows.kind)
        var out: [String] = []
        out.reserveCapacity(rows.rowCount)
        var bytes: [UInt8] = []
        for i in 0..<rows.rowCount {
            bytes.removeAll(keepingCapacity: true)
            appendJSON(op: op, schema: table.schema, table: table.table, source: source, into: &bytes) {
                isBefore, out in
                if isBefore ? rows.kind == .write : rows.kind == .delete { return out.appendASCII("null") }
                appendImage(
                    table, columns: isBefore ? rows.beforeColumns : rows.afterColumns,
                    values: isBefore ? rows.beforeRow(i) : rows.afterRow(i), into: &out)
            }
            out.append(String(decoding: bytes, as: UTF8.self))
        }
        return out
    }

    /// The change-event JSON line of `change` (no trailing newline) with `source` as its `source`.
    package static func jsonLine(of change: RowChange, source: Source) -> String {
        var bytes: [UInt8] = []
        appendJSON(of: change, source: source, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same JSON as bytes (the Kafka message appends its members to it).
    package static func appendJSON(of change: RowChange, source: Source, into out: inout [UInt8]) {
        appendJSON(op: change.kind, schema: change.database, table: change.table, source: source, into: &out) {
            isBefore, out in
            appendImage(columns: change.columns, values: isBefore ? change.before : change.after, into: &out)
        }
    }

    /// The change-event JSON of one row change written into bytes, its images by `image`
    /// (called with true for `before`, then false for `after`; it writes an object or `null`).
    /// What `jsonLine` and `jsonLines` write.
    static func appendJSON(
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
    static func appendImage(columns: [String], values: [ColumnValue]?, into out: inout [UInt8]) {
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

    /// An image of the present `columns` (indexes into the table map) with their `values`.
    private static func appendImage(
        _ table: TableMapEvent, columns: [Int], values: ArraySlice<ColumnValue>, into out: inout [UInt8]
    ) {
        out.append(0x7B)
        for (n, (column, value)) in zip(columns, values).enumerated() {
            if n > 0 { out.append(0x2C) }
            out.appendJSONQuoted(table.columnLabel(column))
            out.append(0x3A)
            value.appendJSON(into: &out)
        }
        out.append(0x7D)
    }
}
