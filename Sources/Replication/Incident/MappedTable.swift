import Binlog
import Foundation
import MySQLSource
import RedisCluster

/// One `[[mapping]]`'s table on a MySQL server: rows read as the writes the mapping makes of them,
/// and the SQL condition selecting the row(s) a key can belong to. `sluice verify` compares keys
/// with them; `sluice failover` rewrites keys from them.
package struct MappedTable {
    package let mapping: TableMapping
    package let table: SourceTable

    package init(mapping: TableMapping, connection: MySQLConnection) throws {
        self.mapping = mapping
        self.table = try SourceTable(database: mapping.database, table: mapping.table, connection: connection)
    }

    /// The rows matching any of `conditions` (500 to a query), each read as an insert of the whole
    /// row at `position`; `gtid` is the GTID binlog-derived versions take (`TableChunks`).
    package func rows(
        where conditions: [String], at position: BinlogPosition, gtid: MariaDBGTID?,
        on mysql: MySQLConnection
    ) throws -> [RowChange] {
        let chunks = TableChunks(table: table, chunkRows: 1, gtid: gtid)
        var out: [RowChange] = []
        var start = 0
        while start < conditions.count {
            let part = conditions[start..<min(start + 500, conditions.count)]
            start += part.count
            let sql = "SELECT \(table.selectList) FROM \(table.quotedName) WHERE " + part.joined(separator: " OR ")
            for row in try mysql.query(sql).rows { out.append(try chunks.change(row, position: position)) }
        }
        return out
    }

    /// The upsert a row maps to (an insert maps to exactly one write).
    package func write(for change: RowChange) throws -> VersionedWrite {
        guard let w = try mapping.writes(for: change).last else {
            throw MappingError(
                .missingImage, "no write for a row", table: change.qualifiedTable, position: change.position)
        }
        return w
    }

    /// The condition selecting the row whose primary key has the texts of `row` (as selected).
    package func primaryKeyCondition(_ row: [String?]) -> String {
        "("
            + table.primaryKey.map { k in
                "\(SourceTable.quote(table.columns[k].name)) = \(SourceTable.literal(row[k], table.columns[k].kind))"
            }.joined(separator: " AND ") + ")"
    }

    /// The condition selecting the rows whose key columns have the texts `key` splits into under
    /// the mapping's template; nil when the key is not of the template or a text can't be a value
    /// of its column (the key is not this mapping's).
    package func condition(forKey key: String) -> String? {
        guard let split = KeyPattern(mapping.key).split(key) else { return nil }
        return condition(split)
    }

    /// The condition selecting rows whose key columns have these texts; nil when a text can't be
    /// a value of its column.
    package func condition(_ split: [String: String]) -> String? {
        var terms: [String] = []
        for (name, text) in split.sorted(by: { $0.key < $1.key }) {
            guard let column = table.columns.first(where: { $0.name == name }) else { return nil }
            let literal: String
            switch column.kind {
            case .signed:
                guard Int64(text) != nil else { return nil }
                literal = text
            case .unsigned, .bit:
                guard UInt64(text) != nil else { return nil }
                literal = text
            case .binary:
                guard let bytes = Data(base64Encoded: text) else { return nil }
                literal = "UNHEX('\(bytes.map { String(format: "%02X", $0) }.joined())')"
            default: literal = SourceTable.literal(text)
            }
            terms.append("\(SourceTable.quote(name)) = \(literal)")
        }
        return terms.isEmpty ? nil : "(" + terms.joined(separator: " AND ") + ")"
    }
}
