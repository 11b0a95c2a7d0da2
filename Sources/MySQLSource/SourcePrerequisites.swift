import Foundation

/// A table the source will read changes of, named as in the mapping.
package struct TableName: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var schema: String
    package var table: String

    package init(_ schema: String, _ table: String) {
        self.schema = schema
        self.table = table
    }

    package var description: String { "\(schema).\(table)" }
    /// Back-quoted for SQL.
    var quoted: String {
        "`\(schema.replacingOccurrences(of: "`", with: "``"))`.`\(table.replacingOccurrences(of: "`", with: "``"))`"
    }
}

/// What the checks found: `errors` stop the source, `warnings` are logged.
package struct PrerequisiteReport: Sendable, Equatable {
    package var errors: [SourceError] = []
    package var warnings: [String] = []

    package init(errors: [SourceError] = [], warnings: [String] = []) {
        self.errors = errors
        self.warnings = warnings
    }

    /// Throws the first error, with the others appended to its message.
    package func throwIfFailed() throws(SourceError) {
        guard let first = errors.first else { return }
        if errors.count == 1 { throw first }
        let rest = errors.dropFirst().map { "\($0.message)" }.joined(separator: "; ")
        throw SourceError(first.code, first.message + "; also: " + rest)
    }
}

/// What the server told about the account and the other replicas, gathered by `probe`.
package struct AccountFacts: Sendable, Equatable {
    /// Global privileges of the current account (`information_schema.USER_PRIVILEGES`).
    package var globalPrivileges: Set<String>
    /// Mapped tables the account cannot SELECT from, with the server's reason.
    package var unreadableTables: [TableName: String]
    /// server_id of each registered replica (`SHOW SLAVE HOSTS`), nil when the account may not list them.
    package var replicaServerIDs: [UInt32]?
    /// Per mapped table, columns that a partial row image may leave out: (name, is BLOB/TEXT, is in PK).
    package var columns: [TableName: [(name: String, isBlob: Bool, isKey: Bool)]]

    package init(
        globalPrivileges: Set<String>, unreadableTables: [TableName: String] = [:], replicaServerIDs: [UInt32]? = nil,
        columns: [TableName: [(name: String, isBlob: Bool, isKey: Bool)]] = [:]
    ) {
        self.globalPrivileges = globalPrivileges
        self.unreadableTables = unreadableTables
        self.replicaServerIDs = replicaServerIDs
        self.columns = columns
    }

    package static func == (a: AccountFacts, b: AccountFacts) -> Bool {
        a.globalPrivileges == b.globalPrivileges && a.unreadableTables == b.unreadableTables
            && a.replicaServerIDs == b.replicaServerIDs
            && a.columns.mapValues { $0.map { "\($0.name)|\($0.isBlob)|\($0.isKey)" } }
                == b.columns.mapValues { $0.map { "\($0.name)|\($0.isBlob)|\($0.isKey)" } }
    }
}

/// The checks run before the source registers as a replica. `evaluate` is pure; `run` gathers the
/// facts from a live connection first.
///
/// Needed, and nothing more: REPLICATION SLAVE (to stream the binlog), REPLICATION CLIENT (called
/// BINLOG MONITOR on MariaDB 10.5+; for SHOW MASTER STATUS / SHOW BINARY LOGS), and SELECT on the
/// mapped tables (for schema lookups).
package enum SourcePrerequisites {
    /// Gathers the facts and evaluates them for a source that will use `serverID`.
    package static func run(
        on connection: MySQLConnection, settings: ServerSettings, serverID: UInt32, tables: [TableName]
    ) throws(MySQLError) -> PrerequisiteReport {
        evaluate(settings: settings, facts: try probe(connection, tables: tables), serverID: serverID, tables: tables)
    }

    package static func evaluate(
        settings: ServerSettings, facts: AccountFacts, serverID: UInt32, tables: [TableName]
    ) -> PrerequisiteReport {
        var report = PrerequisiteReport()
        func fail(_ code: SourceError.Code, _ message: String) { report.errors.append(SourceError(code, message)) }
        if !settings.logBin {
            fail(.prerequisite, "the binary log is off (log_bin=OFF): start the server with --log-bin")
        }
        if settings.binlogFormat.uppercased() != "ROW" {
            fail(
                .prerequisite,
                "binlog_format is \(settings.binlogFormat), sluice needs ROW (SET GLOBAL binlog_format=ROW and restart writers)"
            )
        }
        let image = settings.binlogRowImage.uppercased()
        if image != "FULL" {
            fail(
                .prerequisite,
                "binlog_row_image is \(image), the Redis mapping needs FULL; " + missingColumns(image, tables, facts))
        }
        if let metadata = settings.binlogRowMetadata, metadata.uppercased() != "FULL" {
            report.warnings.append(
                "binlog_row_metadata is \(metadata): column names and primary keys come from information_schema, "
                    + "which can be wrong for events written before a schema change; set binlog_row_metadata=FULL")
        } else if settings.binlogRowMetadata == nil {
            report.warnings.append(
                "the server has no binlog_row_metadata (MariaDB < 10.5, MySQL < 8.0.1): column names come from information_schema"
            )
        }
        if serverID == 0 {
            fail(.configuration, "the source's server_id must not be 0")
        } else if serverID == settings.serverID {
            fail(.serverIDConflict, "server_id \(serverID) is the server's own server_id; choose another for sluice")
        } else if let replicas = facts.replicaServerIDs, replicas.contains(serverID) {
            fail(
                .serverIDConflict,
                "server_id \(serverID) is already used by a replica of this server (SHOW SLAVE HOSTS); each replica needs its own"
            )
        }
        var missing: [String] = []
        if !facts.globalPrivileges.contains("REPLICATION SLAVE") { missing.append("REPLICATION SLAVE") }
        if facts.globalPrivileges.isDisjoint(with: ["REPLICATION CLIENT", "BINLOG MONITOR"]) {
            missing.append(settings.flavour == .mariadb ? "BINLOG MONITOR (REPLICATION CLIENT)" : "REPLICATION CLIENT")
        }
        for table in tables {
            if let reason = facts.unreadableTables[table] { missing.append("SELECT on \(table) (\(reason))") }
        }
        if !missing.isEmpty {
            fail(
                .privileges,
                "the account lacks " + missing.joined(separator: ", ")
                    + "; sluice needs exactly REPLICATION SLAVE, REPLICATION CLIENT/BINLOG MONITOR and SELECT on the mapped tables"
            )
        }
        if let sync = settings.syncBinlog, sync != 1 {
            report.warnings.append(
                "sync_binlog=\(sync): a server crash can lose binlog events that clients saw committed")
        }
        if let flush = settings.innodbFlushLogAtTrxCommit, flush != 1 {
            report.warnings.append(
                "innodb_flush_log_at_trx_commit=\(flush): a server crash can lose committed transactions")
        }
        return report
    }

    /// Which columns of the mapped tables a partial row image can leave out.
    static func missingColumns(_ image: String, _ tables: [TableName], _ facts: AccountFacts) -> String {
        let rule: String
        let pick: ((name: String, isBlob: Bool, isKey: Bool)) -> Bool
        switch image {
        case "NOBLOB":
            rule = "with NOBLOB, BLOB/TEXT columns that a statement did not change are missing"
            pick = { $0.isBlob && !$0.isKey }
        default:
            rule = "with \(image), every column outside the primary key can be missing from updates and deletes"
            pick = { !$0.isKey }
        }
        let listed = tables.compactMap { table -> String? in
            guard let columns = facts.columns[table] else { return nil }
            let names = columns.filter(pick).map(\.name)
            return names.isEmpty ? nil : "\(table): \(names.joined(separator: ", "))"
        }
        return rule + (listed.isEmpty ? "" : " (" + listed.joined(separator: "; ") + ")")
    }

    /// Asks the server about the current account, the mapped tables and the registered replicas.
    static func probe(_ connection: MySQLConnection, tables: [TableName]) throws(MySQLError) -> AccountFacts {
        let user = try connection.query("SELECT CURRENT_USER() AS user").value("user") ?? ""
        let at = user.lastIndex(of: "@")
        let name = at.map { String(user[..<$0]) } ?? user
        let host = at.map { String(user[user.index(after: $0)...]) } ?? ""
        let grantee = "'\(name)'@'\(host)'"
        let rows = try connection.query(
            "SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = '\(sqlString(grantee))'"
        )
        var facts = AccountFacts(globalPrivileges: Set(rows.rows.compactMap { $0.first ?? nil }))
        for table in tables {
            do {
                try connection.execute("SELECT * FROM \(table.quoted) LIMIT 0")
            } catch {
                facts.unreadableTables[table] = error.message
            }
        }
        do {
            let hosts = try connection.query("SHOW SLAVE HOSTS")
            facts.replicaServerIDs = hosts.rows.indices.compactMap {
                hosts.value("Server_id", row: $0).flatMap { UInt32($0) }
            }
        } catch  where error.code == 1227 || error.code == 1045 {
            facts.replicaServerIDs = nil
        }
        for table in tables where facts.unreadableTables[table] == nil {
            let columns = try connection.query(
                """
                SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_KEY AS k FROM information_schema.COLUMNS
                WHERE TABLE_SCHEMA = '\(sqlString(table.schema))' AND TABLE_NAME = '\(sqlString(table.table))'
                ORDER BY ORDINAL_POSITION
                """)
            facts.columns[table] = columns.rows.indices.map { row in
                let type = (columns.value("type", row: row) ?? "").lowercased()
                return (
                    columns.value("name", row: row) ?? "", type.hasSuffix("blob") || type.hasSuffix("text"),
                    columns.value("k", row: row) == "PRI"
                )
            }
        }
        return facts
    }
}

/// The text of a single-quoted SQL string literal (quotes and backslashes escaped).
package func sqlString(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
}
