import Binlog

/// Column names and primary keys of the tables rows arrive for. Taken from the TABLE_MAP event
/// when it carries them (`binlog_row_metadata=FULL`); otherwise read from information_schema once
/// per table and kept until a DDL statement passes through the stream (`invalidate()`).
package final class SchemaCache {
    private let lookup: (TableName) throws(SourceError) -> TableSchema
    private var cached: [TableName: TableSchema] = [:]
    /// information_schema reads done (for tests and metrics).
    package private(set) var lookups = 0

    package init(lookup: @escaping (TableName) throws(SourceError) -> TableSchema) {
        self.lookup = lookup
    }

    /// A cache reading information_schema through `connection` (made on first use by `connect`).
    package convenience init(connect: @escaping () throws(SourceError) -> MySQLConnection) {
        var connection: MySQLConnection?
        self.init { (name: TableName) throws(SourceError) -> TableSchema in
            do {
                let open = try connection ?? connect()
                connection = open
                return try Self.read(name, on: open)
            } catch let error as SourceError {
                connection = nil
                throw error
            } catch let error as MySQLError {
                connection = nil
                throw SourceError.classify(error, place: name.description)
            } catch {
                throw SourceError(.schema, "\(error)", place: name.description)
            }
        }
    }

    package func schema(for map: TableMapEvent) throws(SourceError) -> TableSchema {
        let name = TableName(map.schema, map.table)
        let names = map.columns.compactMap(\.name)
        if names.count == map.columns.count {
            return TableSchema(name: name, columns: names, primaryKey: map.primaryKey.map(\.column))
        }
        if let known = cached[name] { return known }
        lookups += 1
        let read = try lookup(name)
        cached[name] = read
        return read
    }

    /// After DDL: every table is read again on its next row.
    package func invalidate() {
        cached = [:]
    }

    package static func read(_ name: TableName, on connection: MySQLConnection) throws(MySQLError) -> TableSchema {
        let rows = try connection.query(
            """
            SELECT COLUMN_NAME AS name, COLUMN_KEY AS k FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = '\(sqlString(name.schema))' AND TABLE_NAME = '\(sqlString(name.table))'
            ORDER BY ORDINAL_POSITION
            """)
        let columns = rows.rows.indices.map { rows.value("name", row: $0) ?? "" }
        let key = try connection.query(
            """
            SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
            WHERE TABLE_SCHEMA = '\(sqlString(name.schema))' AND TABLE_NAME = '\(sqlString(name.table))'
              AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION
            """)
        let primaryKey = key.rows.indices.compactMap { row in
            key.value("name", row: row).flatMap { columns.firstIndex(of: $0) }
        }
        return TableSchema(name: name, columns: columns, primaryKey: primaryKey)
    }
}
