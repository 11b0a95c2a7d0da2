/// A decoded column value, exact: no value passes through a lossy type.
/// The encoding of each case into the change-event JSON is documented in docs/change-events.md.
public enum ColumnValue: Sendable, Equatable, Hashable {
    case null
    /// Signed integer types (TINYINT..BIGINT), YEAR is `.year`.
    case int(Int64)
    /// Unsigned integer types (signedness from TABLE_MAP metadata).
    case uint(UInt64)
    case float(Float)
    case double(Double)
    /// DECIMAL as exact text with exactly the column's scale, e.g. "-1234.500".
    case decimal(String)
    case year(Int)
    case date(MySQLDate)
    case time(MySQLTime)
    case datetime(MySQLDateTime)
    /// TIMESTAMP: seconds since the epoch (UTC) plus fraction.
    case timestamp(MySQLTimestamp)
    /// Text in a character set, decoded to a Swift string.
    case string(String)
    /// Binary strings and blobs, and text whose charset could not be decoded exactly.
    case bytes([UInt8])
    /// ENUM: 1-based index (0 = the empty error value), with the member name when known.
    case enumValue(index: Int, name: String?)
    /// SET: the bitmask, with member names when known.
    case set(bits: UInt64, names: [String]?)
    /// BIT(n) as an unsigned integer.
    case bit(UInt64)
    /// JSON as canonical JSON text.
    case json(String)
    /// A MySQL partial JSON update (PARTIAL_UPDATE_ROWS after image with PARTIAL_JSON): the
    /// changes to the stored document, not the document itself.
    case jsonDiff([JSONDiff])
    /// GEOMETRY as its stored bytes (SRID + WKB).
    case geometry([UInt8])
}

public struct MySQLDate: Sendable, Equatable, Hashable {
    public var year: Int, month: Int, day: Int
    public init(year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }
}

public struct MySQLTime: Sendable, Equatable, Hashable {
    public var negative: Bool
    public var hours: Int, minutes: Int, seconds: Int
    public var microseconds: Int
    /// Fractional second digits declared on the column (0...6).
    public var fsp: Int
    public init(negative: Bool, hours: Int, minutes: Int, seconds: Int, microseconds: Int, fsp: Int) {
        self.negative = negative; self.hours = hours; self.minutes = minutes
        self.seconds = seconds; self.microseconds = microseconds; self.fsp = fsp
    }
}

public struct MySQLDateTime: Sendable, Equatable, Hashable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int
    public var microseconds: Int
    public var fsp: Int
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microseconds: Int, fsp: Int) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
        self.microseconds = microseconds; self.fsp = fsp
    }
}

public struct MySQLTimestamp: Sendable, Equatable, Hashable {
    public var seconds: Int64
    public var microseconds: Int
    public var fsp: Int
    public init(seconds: Int64, microseconds: Int, fsp: Int) {
        self.seconds = seconds; self.microseconds = microseconds; self.fsp = fsp
    }
}
