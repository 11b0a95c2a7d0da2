import MySQLSource
import RedisCluster

/// Row-by-row comparison of a mapped table in MySQL with its keys in Redis: every row's hash
/// holds exactly its non-NULL columns as text and its version key the row's version; keys of
/// rows known to be deleted are absent. For hash mappings whose columns the text protocol prints
/// as the mapping does (integers, DECIMAL, text: the demo's schema).
package struct ConsistencyCheck: Sendable, Equatable {
    package var rowsChecked = 0
    /// One line per difference, e.g. `account:7: balance MySQL 10.50, Redis 9.50`.
    package var differences: [String] = []

    package var consistent: Bool { differences.isEmpty }

    package var summary: String {
        consistent
            ? "consistent: \(rowsChecked) row(s) of MySQL equal their Redis keys and versions"
            : "NOT consistent: \(differences.count) difference(s) in \(rowsChecked) row(s):\n  "
                + differences.prefix(20).joined(separator: "\n  ")
    }

    /// Compares `mapping`'s table (`SELECT *`) with `redis`; `deletedKeys` must be absent.
    package init(mapping: TableMapping, mysql: MySQLConnection, redis: RedisClusterClient, deletedKeys: [String] = [])
        throws
    {
        guard case .hash(let mapped) = mapping.shape, case .column(let versionColumn) = mapping.version else {
            throw MappingError(
                .unknownColumn, "the consistency check handles hash mappings with a version column",
                table: mapping.qualifiedTable, position: .init(file: "", offset: 0))
        }
        let rows = try mysql.query("SELECT * FROM `\(mapping.database)`.`\(mapping.table)`")
        for r in rows.rows.indices {
            rowsChecked += 1
            var key = ""
            for part in mapping.key.parts {
                switch part {
                case .literal(let text): key += text
                case .column(let name): key += rows.value(name, row: r) ?? ""
                }
            }
            let columns = mapped.isEmpty ? rows.columns : mapped
            var expected: [String: String] = [:]
            for c in columns { if let v = rows.value(c, row: r) { expected[c] = v } }
            let reply = try redis.send(RedisCommand("HGETALL", key), key: key)
            var stored: [String: String] = [:]
            let items = reply.elements ?? []
            var i = 0
            while i + 1 < items.count {
                stored[items[i].text ?? ""] = items[i + 1].text ?? ""
                i += 2
            }
            // The version field is the apply's, not a column (compared below).
            stored[VersionKey.hashFieldName] = nil
            if stored.isEmpty {
                differences.append("\(key): missing in Redis")
                continue
            }
            for name in Set(expected.keys).union(stored.keys).sorted() where expected[name] != stored[name] {
                differences.append(
                    "\(key): \(name) MySQL \(expected[name] ?? "(none)"), Redis \(stored[name] ?? "(none)")")
            }
            let version = try Self.storedVersion(of: key, in: redis)
            if version != rows.value(versionColumn, row: r) {
                differences.append(
                    "\(key): version MySQL \(rows.value(versionColumn, row: r) ?? "NULL"), Redis \(version ?? "(none)")"
                )
            }
        }
        for key in deletedKeys {
            let reply = try redis.send(RedisCommand("EXISTS", key), key: key)
            if reply.int != 0 { differences.append("\(key): deleted in MySQL, present in Redis") }
        }
    }

    /// The row version the sinks stored for `key` (a deleted row's stays as its tombstone), nil
    /// when none. The one place tests and the demo read versions, so a change of where versions
    /// live changes here only.
    package static func storedVersion(of key: String, in redis: RedisClusterClient) throws -> String? {
        try StoredVersion.read(redis, key: key)
    }
}
