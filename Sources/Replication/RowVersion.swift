import Binlog

/// Where a table's row versions come from, and how a row change's version is computed. Versions
/// are decimal digit strings of any length, compared numerically by the Redis function (longer is
/// greater, then byte order), so they never overflow or lose precision.
///
/// - `column`: the application's version column (the optimistic-lock column). Insert and update
///   carry the after image's value; a delete carries the before image's value plus one (the row's
///   last version is the before image's, and the delete must beat it). So a row re-inserted under
///   the same key must carry a version above the deleted row's, or it is refused until the
///   tombstone expires.
/// - `binlog`: derived from the MariaDB GTID: `seq_no` followed by the change's ordinal within its
///   transaction as 9 zero-padded digits (`seq_no * 10^9 + ordinal`). MariaDB assigns `seq_no`
///   per replication domain, increasing with every transaction; it does not depend on binlog file
///   names or offsets, so it survives rotation, and with `gtid_strict_mode=ON` a promoted replica
///   continues the domain's sequence past the highest `seq_no` it applied, so it survives a
///   failover of the primary. Only one domain is comparable: the mapping's `versionDomain`; a row
///   of another domain is an error, never a guess. Not usable: `(file index << 32 | offset)`,
///   because a new primary writes its own binlog files whose names and offsets are unrelated to
///   the old primary's (versions would jump backwards and every later write would be refused),
///   and MySQL GTIDs (`uuid:n`), whose counter is per server UUID and restarts on a new primary.
package enum VersionSource: Sendable, Equatable {
    case column(String)
    case binlog(domain: UInt32)

    /// Largest ordinal that fits the 9 digits kept for it.
    package static let maxOrdinal = 999_999_999

    /// The version of `change` (`columnIndex` locates the version column for `.column`).
    func version(of change: RowChange, columnIndex: Int?) throws(MappingError) -> String {
        switch self {
        case .binlog(let domain):
            guard let gtid = change.gtid else {
                throw MappingError(
                    .noBinlogVersion,
                    "version = \"binlog\" needs a MariaDB GTID; this transaction has none (a MySQL source cannot "
                        + "give versions that stay monotonic across failover: use version = \"column\" with version_column)",
                    table: change.qualifiedTable, position: change.position)
            }
            guard gtid.domain == domain else {
                throw MappingError(
                    .noBinlogVersion,
                    "GTID \(gtid) is in domain \(gtid.domain), but versions come from domain \(domain)",
                    table: change.qualifiedTable, position: change.position)
            }
            guard change.ordinal >= 0, change.ordinal <= Self.maxOrdinal else {
                throw MappingError(
                    .noBinlogVersion, "row change \(change.ordinal) of one transaction exceeds \(Self.maxOrdinal)",
                    table: change.qualifiedTable, position: change.position)
            }
            let ordinal = String(change.ordinal)
            return String(gtid.sequence) + String(repeating: "0", count: 9 - ordinal.count) + ordinal
        case .column(let name):
            let image = change.kind == .delete ? change.before : change.after
            guard let image, let i = columnIndex, i < image.count else {
                throw MappingError(
                    .unknownColumn, "version column '\(name)' is not in the row image",
                    table: change.qualifiedTable, position: change.position)
            }
            let digits: String
            switch image[i] {
            case .int(let v) where v >= 0: digits = String(v)
            case .uint(let v): digits = String(v)
            case .decimal(let s) where !s.isEmpty && s.allSatisfy({ $0.isASCII && $0.isNumber }):
                digits = Self.canonical(s)
            default:
                throw MappingError(
                    .badVersion, "version column '\(name)' holds \(image[i]); expected a non-negative integer",
                    table: change.qualifiedTable, position: change.position)
            }
            return change.kind == .delete ? Self.plusOne(digits) : digits
        }
    }

    /// Digits without leading zeros ("0" stays).
    static func canonical(_ digits: String) -> String {
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// Decimal increment of a digit string, exact at any length ("999" -> "1000").
    static func plusOne(_ digits: String) -> String {
        var bytes = Array(digits.utf8)
        var i = bytes.count - 1
        while i >= 0 {
            if bytes[i] == UInt8(ascii: "9") {
                bytes[i] = UInt8(ascii: "0")
                i -= 1
            } else {
                bytes[i] += 1
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        return "1" + String(decoding: bytes, as: UTF8.self)
    }
}
