import Binlog
import MySQLSource
import Ops

extension MySQLEndpoint {
    /// The connection of a `[source]` section.
    package init(config s: SourceConfig) {
        self.init(
            host: s.host, port: s.port, user: s.user, password: s.password?.revealed ?? "", socket: s.socket,
            connectTimeoutSeconds: UInt32(max(1, s.connectTimeoutMS / 1000)),
            tls: MySQLTLS(
                mode: MySQLTLS.Mode(rawValue: s.tls.mode.rawValue) ?? .preferred, ca: s.tls.files.ca,
                cert: s.tls.files.cert, key: s.tls.files.key))
        readTimeoutSeconds = 30
    }
}

extension SourceStart {
    /// Where `sluice run` starts: the resume point when `[source] start` is a `checkpoint-or-*`
    /// mode and a sink has a checkpoint, else the configured start.
    package init(config start: SourceConfig.Start, resume: SinkCheckpoint?) throws(SourceError) {
        switch start {
        case .checkpointOrEarliest, .checkpointOrEnd:
            if let resume {
                self = .position(resume.position)
            } else {
                self = start == .checkpointOrEarliest ? .earliest : .current
            }
        case .earliest: self = .earliest
        case .end: self = .current
        case .position(let file, let offset): self = .position(BinlogPosition(file: file, offset: offset))
        case .gtid(let text): self = try SourceStart(parsing: "gtid:\(text)")
        }
    }
}

extension SourceTransaction {
    /// This transaction (or chunk) as the sinks take it; the changes carry the transaction's
    /// start as their position (for error messages) and their ordinal within it, counted from
    /// `firstOrdinal` (the rows of the transaction's earlier chunks).
    package func pipelineTransaction(serverID: UInt32, firstOrdinal: Int) -> PipelineTransaction {
        let mariadbGTID = gtid.flatMap { MariaDBGTID(parsing: Substring($0)) }
        let rows = changes.enumerated().map { (i, c) in
            Replication.RowChange(
                database: c.table.name.schema, table: c.table.name.table,
                kind: c.kind == .write ? .insert : c.kind == .update ? .update : .delete,
                columns: c.table.columns, before: c.before, after: c.after, gtid: mariadbGTID, ordinal: firstOrdinal + i,
                position: start, primaryKey: c.table.primaryKey, columnTypes: c.columnTypes)
        }
        let cp = checkpoint.map {
            SinkCheckpoint(
                position: $0.binlog, gtid: $0.mariadbGTID?.description ?? "", commitTime: Int64(timestamp))
        }
        let origin = KafkaChangeMessage.Origin(serverID: serverID, gtid: gtid, timestamp: timestamp, end: end)
        // Credentials in a statement (CREATE USER ... IDENTIFIED BY) never leave the process.
        let ddl = statement.map {
            KafkaSchemaChange(
                statement: SQLCredentialMask.mask($0), database: statementDatabase ?? "", position: start, origin: origin)
        }
        return PipelineTransaction(changes: rows, origin: origin, checkpoint: cp, statement: ddl)
    }
}
