import Binlog

extension RowChange {
    /// The row changes of one rows event, each with full images in column order. A row image
    /// that lacks columns (binlog_row_image not FULL) or a column count that differs from the
    /// known schema stops the stream: values are never matched to columns by guessing. Their
    /// GTID, ordinal and position are the transaction's (an XA transaction's rows are read at
    /// XA PREPARE): `SourceTransaction.pipelineTransaction` sets them.
    static func changes(of rows: RowsEvent, table: TableSchema, map: TableMapEvent, place: String) throws(SourceError)
        -> [RowChange]
    {
        let width = map.columns.count
        guard table.columns.count == width, rows.columnCount == width else {
            throw SourceError(
                .schema,
                "`\(map.schema)`.`\(map.table)`: the row has \(rows.columnCount) columns, the known schema has \(table.columns.count) "
                    + "(\(table.columns.joined(separator: ", "))); the table changed after this event was written and "
                    + "binlog_row_metadata is not FULL, so the columns cannot be matched",
                place: place)
        }
        let all = Array(0..<width)
        func check(_ present: [Int], _ image: String) throws(SourceError) {
            guard present == all else {
                let missing = Set(all).subtracting(present).sorted().map { table.columns[$0] }
                throw SourceError(
                    .schema,
                    "`\(map.schema)`.`\(map.table)`: the \(image) image lacks \(missing.joined(separator: ", ")) "
                        + "(binlog_row_image is not FULL for the session that wrote it)",
                    place: place)
            }
        }
        if rows.kind != .write { try check(rows.beforeColumns, "before") }
        if rows.kind != .delete { try check(rows.afterColumns, "after") }
        let kind = Kind(rows.kind)
        var out: [RowChange] = []
        out.reserveCapacity(rows.rowCount)
        for index in 0..<rows.rowCount {
            out.append(
                RowChange(
                    database: table.name.schema, table: table.name.table, kind: kind, columns: table.columns,
                    before: rows.kind == .write ? nil : Array(rows.beforeRow(index)),
                    after: rows.kind == .delete ? nil : Array(rows.afterRow(index)), primaryKey: table.primaryKey,
                    columnTypes: map.columns))
        }
        return out
    }
}
