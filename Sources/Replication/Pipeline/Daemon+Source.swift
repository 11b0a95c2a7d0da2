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
    /// The configured start when no checkpoint decides it (see `ResumePlan` for a checkpoint).
    package init(configured start: SourceConfig.Start) throws(SourceError) {
        switch start {
        case .checkpointOrEarliest, .earliest: self = .earliest
        case .checkpointOrEnd, .end: self = .current
        case .position(let file, let offset): self = .position(BinlogPosition(file: file, offset: offset))
        case .gtid(let text): self = try SourceStart(parsing: "gtid:\(text)")
        }
    }
}

extension BinlogSource {
    /// The server streamed from, as checkpoints record it (nil before the first connection).
    package var sourceIdentity: SourceIdentity? {
        guard let id = serverID, let flavour = serverFlavour else { return nil }
        return SourceIdentity(serverID: id, serverUUID: serverUUID, flavor: flavour.rawValue)
    }
}

extension ServerSettings {
    package var sourceIdentity: SourceIdentity {
        SourceIdentity(serverID: serverID, serverUUID: serverUUID, flavor: flavour.rawValue)
    }
}

extension SourceTransaction {
    /// This transaction (or chunk) as the sinks take it; the changes get the transaction's GTID,
    /// its start as their position (for error messages) and their ordinal within it, counted from
    /// `firstOrdinal` (the rows of the transaction's earlier chunks).
    /// `source` is the server read from, recorded in the checkpoint (guarantee 8).
    /// Consuming: when this is the last use of the transaction its rows are stamped in place.
    package consuming func pipelineTransaction(
        serverID: UInt32, firstOrdinal: Int, source: SourceIdentity? = nil
    ) -> PipelineTransaction {
        let mariadbGTID = gtid.flatMap { MariaDBGTID(parsing: Substring($0)) }
        var rows: [RowChange] = []
        swap(&rows, &changes)
        for i in rows.indices {
            rows[i].gtid = mariadbGTID
            rows[i].ordinal = firstOrdinal + i
            rows[i].position = start
        }
        let cp = checkpoint.map {
            SinkCheckpoint(
                position: $0.binlog, gtid: $0.mariadbGTID, commitTime: Int64(timestamp), mysqlGTID: $0.mysqlGTID,
                source: source)
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
