/// One row change of a committed transaction: what the source produces, the sinks consume and
/// `sluice binlog dump --from-server` prints (through `ChangeEvent`). Column names with the
/// before and after images in column order, and where the change came from.
package struct RowChange: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        case insert, update, delete

        /// The change kind of a rows event's kind (WRITE_ROWS is an insert).
        package init(_ rows: RowsEvent.Kind) {
            switch rows {
            case .write: self = .insert
            case .update: self = .update
            case .delete: self = .delete
            }
        }
    }

    package var database: String
    package var table: String
    package var kind: Kind
    /// Column names, in table order (from TABLE_MAP's optional metadata or the server's schema).
    package var columns: [String]
    /// Indexes into `columns` of the primary key (empty when the table has none or it is unknown).
    package var primaryKey: [Int]
    /// Before image (update, delete), one value per column.
    package var before: [ColumnValue]?
    /// After image (insert, update), one value per column.
    package var after: [ColumnValue]?
    /// GTID of the transaction (MariaDB), when the source runs with GTIDs. The source leaves it
    /// nil; the pipeline stamps it with `ordinal` and `position` per transaction (an XA
    /// transaction's rows are read at XA PREPARE and belong to the XA COMMIT's transaction).
    package var gtid: MariaDBGTID?
    /// 0-based index of this row change within its transaction (orders changes of one GTID).
    package var ordinal: Int
    /// Start of the transaction the change belongs to, for error messages.
    package var position: BinlogPosition
    /// The TABLE_MAP column definitions, one per column (empty when unknown, e.g. a change read
    /// back from Kafka): the Debezium and Canal encodings and the Canal `mysqlType` need them.
    package var columnTypes: [ColumnDefinition]

    package init(
        database: String, table: String, kind: Kind, columns: [String], before: [ColumnValue]? = nil,
        after: [ColumnValue]? = nil, gtid: MariaDBGTID? = nil, ordinal: Int = 0,
        position: BinlogPosition = BinlogPosition(file: "", offset: 0), primaryKey: [Int] = [],
        columnTypes: [ColumnDefinition] = []
    ) {
        self.columnTypes = columnTypes
        self.database = database
        self.table = table
        self.kind = kind
        self.columns = columns
        self.before = before
        self.after = after
        self.gtid = gtid
        self.ordinal = ordinal
        self.position = position
        self.primaryKey = primaryKey
    }

    package var qualifiedTable: String { "\(database).\(table)" }
}
