/// One decoded binlog event: its header, where it starts, and its decoded body.
package struct Event: Sendable, Equatable {
    package var header: EventHeader
    /// Position of the event's first byte in its binlog file.
    package var position: UInt64
    package var body: EventBody

    package init(header: EventHeader, position: UInt64, body: EventBody) {
        self.header = header
        self.position = position
        self.body = body
    }
}

/// The decoded body of each event kind. One decoder per kind, each in its own `Event+Kind.swift`.
package enum EventBody: Sendable, Equatable {
    case formatDescription(FormatDescription)
    case rotate(RotateEvent)
    /// QUERY_EVENT, and MariaDB's QUERY_COMPRESSED_EVENT after inflating.
    case query(QueryEvent)
    case stop
    case intvar(IntvarEvent)
    case rand(RandEvent)
    case userVar(UserVarEvent)
    /// XID_EVENT: commit of an XA-capable (InnoDB) transaction.
    case xid(UInt64)
    case xaPrepare(XAPrepareEvent)
    case tableMap(TableMapEvent)
    /// WRITE/UPDATE/DELETE_ROWS v1 and v2, and MariaDB's compressed row events after inflating.
    case rows(RowsEvent)
    case incident(IncidentEvent)
    case heartbeat(HeartbeatEvent)
    /// MySQL ROWS_QUERY_LOG_EVENT: the statement behind the next row events (raw bytes).
    case rowsQuery([UInt8])
    /// MySQL GTID_LOG_EVENT and ANONYMOUS_GTID_LOG_EVENT.
    case mysqlGtid(MySQLGtidEvent)
    case previousGtids(MySQLGTIDSet)
    /// MariaDB ANNOTATE_ROWS_EVENT: the statement behind the next row events (raw bytes).
    case annotateRows([UInt8])
    case mariadbGtid(MariaDBGtidEvent)
    case mariadbGtidList(MariaDBGtidListEvent)
    /// MariaDB BINLOG_CHECKPOINT_EVENT: the oldest binlog file still needed for crash recovery.
    case binlogCheckpoint(file: String)
    /// MySQL TRANSACTION_PAYLOAD_EVENT: a compressed transaction, with its events decoded.
    case transactionPayload(TransactionPayloadEvent)
    /// A type this decoder does not interpret (never guessed at); the decoder counts these.
    case unknown(type: UInt8)
}

extension Event {
    /// Decodes a UTF-8 text field for display; bytes that are not UTF-8 are shown as U+FFFD.
    static func displayText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
