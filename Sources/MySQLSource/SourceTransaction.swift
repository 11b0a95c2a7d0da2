import Binlog

/// A table's column names and primary key, as the source knows them when it reads a row.
package struct TableSchema: Sendable, Equatable {
    package var name: TableName
    package var columns: [String]
    /// Indexes into `columns`.
    package var primaryKey: [Int]

    package init(name: TableName, columns: [String], primaryKey: [Int]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
    }
}

/// A point the source can resume from with nothing lost: a binlog position and, when known, the
/// GTID state there (MariaDB `gtid_slave_pos` form, or a MySQL GTID set).
package struct SourceCheckpoint: Sendable, Equatable, CustomStringConvertible {
    package var binlog: BinlogPosition
    package var mariadbGTID: MariaDBGTIDPosition?
    package var mysqlGTID: MySQLGTIDSet?

    package init(binlog: BinlogPosition, mariadbGTID: MariaDBGTIDPosition? = nil, mysqlGTID: MySQLGTIDSet? = nil) {
        self.binlog = binlog
        self.mariadbGTID = mariadbGTID
        self.mysqlGTID = mysqlGTID
    }

    package var description: String {
        var text = binlog.description
        if let mariadbGTID { text += " gtid \(mariadbGTID)" }
        if let mysqlGTID { text += " gtid \(mysqlGTID)" }
        return text
    }
}

/// A committed transaction, or one chunk of a large one.
///
/// A transaction bigger than the assembler's chunk size arrives as several values with the same
/// `start` and `gtid`, `chunk` counting from 0; only the one with `isLast` carries a `checkpoint`.
/// Nothing may be checkpointed before that last chunk has been applied.
package struct SourceTransaction: Sendable, Equatable {
    /// This transaction's GTID (`0-1-42` or `uuid:42`), when the server writes GTIDs.
    package var gtid: String?
    /// The XA transaction this was, for XA transactions (emitted at their XA COMMIT).
    package var xid: XID?
    /// An XA transaction decided by XA ROLLBACK: its prepared rows were dropped (`changes` is empty).
    package var rolledBack: Bool
    package var changes: [RowChange]
    /// The statement of a DDL (or other non-row) event group.
    package var statement: String?
    /// The default database the statement ran in (the query event's schema; "" when none).
    package var statementDatabase: String?
    package var chunk: Int
    package var isLast: Bool
    /// Where the transaction's first event starts, and where the events of this value end.
    package var start: BinlogPosition
    package var end: BinlogPosition
    /// Commit time (seconds since the epoch, from the event headers).
    package var timestamp: UInt32
    /// On the last chunk only: where a restarted source must resume so that nothing after this
    /// transaction is lost. It is the end of this transaction, or earlier when an XA transaction
    /// prepared before it is still undecided (so a restart reads that XA PREPARE again).
    package var checkpoint: SourceCheckpoint?

    package init(
        gtid: String?, xid: XID? = nil, rolledBack: Bool = false, changes: [RowChange], statement: String? = nil,
        statementDatabase: String? = nil, chunk: Int = 0, isLast: Bool = true,
        start: BinlogPosition, end: BinlogPosition, timestamp: UInt32, checkpoint: SourceCheckpoint?
    ) {
        self.gtid = gtid
        self.xid = xid
        self.rolledBack = rolledBack
        self.changes = changes
        self.statement = statement
        self.statementDatabase = statementDatabase
        self.chunk = chunk
        self.isLast = isLast
        self.start = start
        self.end = end
        self.timestamp = timestamp
        self.checkpoint = checkpoint
    }
}
