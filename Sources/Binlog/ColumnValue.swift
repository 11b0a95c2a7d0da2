/// A decoded column value, exact: no value passes through a lossy type.
/// The encoding of each case into the change-event JSON is documented in docs/change-events.md.
package enum ColumnValue: Sendable, Equatable, Hashable {
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
    /// MySQL 9 VECTOR: its elements.
    case vector([Float])
}

// The date and time values keep their fields in the narrowest type that holds every value a
// decoder produces (month, day, hour, minute, second and fsp below 256, microseconds below
// 1,000,000), so `ColumnValue` stays 32 bytes a value instead of 72: a row image is written and
// freed with less than half the memory traffic. The fields read and write as `Int`; setting a
// field to a value outside its stored range is a programming error and traps.

package struct MySQLDate: Sendable, Equatable, Hashable {
    package var year: Int
    private var month8: UInt8, day8: UInt8
    package var month: Int { get { Int(month8) } set { month8 = UInt8(newValue) } }
    package var day: Int { get { Int(day8) } set { day8 = UInt8(newValue) } }
    package init(year: Int, month: Int, day: Int) {
        self.year = year; month8 = UInt8(month); day8 = UInt8(day)
    }
}

package struct MySQLTime: Sendable, Equatable, Hashable {
    package var negative: Bool
    package var hours: Int
    private var minutes8: UInt8, seconds8: UInt8, fsp8: UInt8
    private var micros32: UInt32
    package var minutes: Int { get { Int(minutes8) } set { minutes8 = UInt8(newValue) } }
    package var seconds: Int { get { Int(seconds8) } set { seconds8 = UInt8(newValue) } }
    package var microseconds: Int { get { Int(micros32) } set { micros32 = UInt32(newValue) } }
    /// Fractional second digits declared on the column (0...6).
    package var fsp: Int { get { Int(fsp8) } set { fsp8 = UInt8(newValue) } }
    package init(negative: Bool, hours: Int, minutes: Int, seconds: Int, microseconds: Int, fsp: Int) {
        self.negative = negative; self.hours = hours; minutes8 = UInt8(minutes)
        seconds8 = UInt8(seconds); micros32 = UInt32(microseconds); fsp8 = UInt8(fsp)
    }
}

package struct MySQLDateTime: Sendable, Equatable, Hashable {
    package var year: Int
    private var month8: UInt8, day8: UInt8, hour8: UInt8, minute8: UInt8, second8: UInt8, fsp8: UInt8
    private var micros32: UInt32
    package var month: Int { get { Int(month8) } set { month8 = UInt8(newValue) } }
    package var day: Int { get { Int(day8) } set { day8 = UInt8(newValue) } }
    package var hour: Int { get { Int(hour8) } set { hour8 = UInt8(newValue) } }
    package var minute: Int { get { Int(minute8) } set { minute8 = UInt8(newValue) } }
    package var second: Int { get { Int(second8) } set { second8 = UInt8(newValue) } }
    package var microseconds: Int { get { Int(micros32) } set { micros32 = UInt32(newValue) } }
    package var fsp: Int { get { Int(fsp8) } set { fsp8 = UInt8(newValue) } }
    package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microseconds: Int, fsp: Int) {
        self.year = year; month8 = UInt8(month); day8 = UInt8(day)
        hour8 = UInt8(hour); minute8 = UInt8(minute); second8 = UInt8(second)
        micros32 = UInt32(microseconds); fsp8 = UInt8(fsp)
    }
}

package struct MySQLTimestamp: Sendable, Equatable, Hashable {
    package var seconds: Int64
    private var micros32: UInt32, fsp8: UInt8
    package var microseconds: Int { get { Int(micros32) } set { micros32 = UInt32(newValue) } }
    package var fsp: Int { get { Int(fsp8) } set { fsp8 = UInt8(newValue) } }
    package init(seconds: Int64, microseconds: Int, fsp: Int) {
        self.seconds = seconds; micros32 = UInt32(microseconds); fsp8 = UInt8(fsp)
    }
}
