import Binlog

/// One row change of a committed transaction, as the sinks consume it: column names with the
/// before and after images, and where it came from.
public struct RowChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case insert, update, delete
    }

    public var database: String
    public var table: String
    public var kind: Kind
    /// Column names, in table order (from TABLE_MAP's optional metadata).
    public var columns: [String]
    /// Indexes into `columns` of the primary key (empty when the table has none or it is unknown).
    public var primaryKey: [Int]
    /// Before image (update, delete), one value per column.
    public var before: [ColumnValue]?
    /// After image (insert, update), one value per column.
    public var after: [ColumnValue]?
    /// GTID of the transaction (MariaDB), when the source runs with GTIDs.
    public var gtid: MariaDBGTID?
    /// 0-based index of this row change within its transaction (orders changes of one GTID).
    public var ordinal: Int
    /// Position of the rows event, for error messages.
    public var position: BinlogPosition
    /// The TABLE_MAP column definitions, one per column (empty when unknown, e.g. a change read
    /// back from Kafka): the Debezium and Canal encodings and the Canal `mysqlType` need them.
    public var columnTypes: [ColumnDefinition]

    public init(
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

    public var qualifiedTable: String { "\(database).\(table)" }
}
