import Binlog
import Foundation
import MySQLSource

/// A consistent read of the source and the binlog position it corresponds to.
///
/// MariaDB's `START TRANSACTION WITH CONSISTENT SNAPSHOT` sees exactly the transactions whose
/// commit is in the binlog before `binlog_snapshot_file`:`binlog_snapshot_position` (status
/// variables of the same session, maintained by the binlog group commit; no lock is taken), and
/// `BINLOG_GTID_POS(file, pos)` names the GTID position of that very point. So every row a read
/// in the transaction returns is the row as of that position: a transaction committed before it
/// is visible, one committed after it is not and appears in the binlog after it.
package struct SourceSnapshot: Sendable, Equatable {
    package var position: BinlogPosition
    /// The GTID position at `position` (`0-1-42`), empty when the source has no GTIDs.
    package var gtid: String
    /// The server read (its checkpoint's `position` belongs to it).
    package var source: SourceIdentity?

    /// Opens the snapshot on `connection` (leaving its transaction open: read, then `end`).
    /// TIMESTAMPs are read in UTC, as the binlog path stores them.
    package static func begin(on connection: MySQLConnection) throws -> SourceSnapshot {
        try connection.execute("SET SESSION time_zone = '+00:00'")
        try connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        try connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        let status = try connection.query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
        var values: [String: String] = [:]
        for row in status.rows { if let k = row[0], let v = row[1] { values[k.lowercased()] = v } }
        guard let file = values["binlog_snapshot_file"], !file.isEmpty,
            let offset = values["binlog_snapshot_position"].flatMap({ UInt64($0) })
        else {
            _ = try? connection.execute("ROLLBACK")
            throw IncidentError(
                .noBinlogPosition,
                "the source gave no binlog_snapshot_file/binlog_snapshot_position (is log_bin on, is it MariaDB?)")
        }
        let gtid =
            try connection.query(
                "SELECT BINLOG_GTID_POS(\(SourceTable.literal(file)), \(offset)) AS g"
            ).value("g") ?? ""
        return SourceSnapshot(
            position: BinlogPosition(file: file, offset: offset), gtid: gtid,
            source: try ServerSettings.read(from: connection).sourceIdentity)
    }

    /// Ends the snapshot's transaction.
    package static func end(on connection: MySQLConnection) {
        _ = try? connection.execute("ROLLBACK")
    }

    /// The sequence number of `domain` at this point (0 when the domain has no transaction yet).
    package func sequence(domain: UInt32) -> UInt64 {
        MariaDBGTIDPosition(parsing: gtid)?.gtid(domain: domain)?.sequence ?? 0
    }

    /// The GTID rows read in this snapshot carry for a binlog-derived version: the snapshot's
    /// sequence in `domain`. With `ordinal = VersionSource.maxOrdinal` the version
    /// (`seq * 10^9 + 999999999`) is at least that of any change at or before the snapshot (whose
    /// effect the row shows) and below that of any later change (a higher sequence).
    package func versionGTID(domain: UInt32) -> MariaDBGTID {
        MariaDBGTID(domain: domain, serverID: 0, sequence: sequence(domain: domain))
    }

    package var checkpoint: SinkCheckpoint {
        SinkCheckpoint(
            position: position, gtid: MariaDBGTIDPosition(parsing: gtid),
            commitTime: Int64(Date().timeIntervalSince1970), source: source)
    }
}
