import Binlog
import MySQLSource

/// Reads one table in primary-key order, `chunkRows` rows at a time, as `RowChange` inserts the
/// mapping turns into the same writes as the replicated rows. Memory holds one chunk.
package struct TableChunks {
    package let table: SourceTable
    package let chunkRows: Int
    /// The GTID the rows carry (binlog-derived versions), with ordinal `VersionSource.maxOrdinal`.
    package let gtid: MariaDBGTID?
    /// The selected primary-key texts of the last row read; nil before the first chunk.
    private var last: [String?]?
    package private(set) var finished = false

    package init(table: SourceTable, chunkRows: Int, gtid: MariaDBGTID?) {
        self.table = table
        self.chunkRows = max(1, chunkRows)
        self.gtid = gtid
    }

    /// The next chunk's rows as selected (empty once the table is read).
    package mutating func nextRows(on connection: MySQLConnection) throws -> [[String?]] {
        if finished { return [] }
        let rows = try connection.query(table.chunkQuery(after: last, limit: chunkRows)).rows
        if rows.count < chunkRows { finished = true }
        guard let tail = rows.last else { return [] }
        last = table.primaryKey.map { tail[$0] }
        return rows
    }

    /// The next chunk as row changes (empty once the table is read).
    package mutating func next(on connection: MySQLConnection, at position: BinlogPosition) throws -> [RowChange] {
        try nextRows(on: connection).map { try change($0, position: position) }
    }

    /// One selected row as an insert of the whole row.
    package func change(_ row: [String?], position: BinlogPosition) throws -> RowChange {
        RowChange(
            database: table.database, table: table.table, kind: .insert, columns: table.columns.map(\.name),
            after: try table.values(row), gtid: gtid, ordinal: VersionSource.maxOrdinal, position: position,
            primaryKey: table.primaryKey)
    }
}
