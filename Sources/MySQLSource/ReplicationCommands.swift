import Binlog

/// The bodies of the replication commands a replica sends (the command byte itself is sent by
/// libmariadb's `db_command`). Little-endian integers throughout, as in the client/server protocol
/// ("Replication Protocol" in the MySQL and MariaDB protocol documentation).
enum ReplicationCommand {
    /// COM_REGISTER_SLAVE (0x15): server_id (4), hostname (1-byte length + bytes), user (same),
    /// password (same), port (2), replication rank (4, unused), master id (4, 0 = the server fills it).
    static func registerReplica(serverID: UInt32, host: String, user: String, password: String, port: UInt16) -> [UInt8]
    {
        var body: [UInt8] = []
        append(&body, UInt64(serverID), 4)
        for text in [host, user, password] {
            let bytes = Array(text.utf8.prefix(255))
            body.append(UInt8(bytes.count))
            body += bytes
        }
        append(&body, UInt64(port), 2)
        append(&body, 0, 4)
        append(&body, 0, 4)
        return body
    }

    /// Flag BINLOG_DUMP_NON_BLOCK: the server ends the dump with an EOF packet at the end of the
    /// binlog instead of waiting for new events.
    static let nonBlocking: UInt16 = 1

    /// COM_BINLOG_DUMP (0x12): position (4), flags (2), server_id (4), file name (rest of packet).
    /// Positions past 4 GiB cannot be asked for with this command (MySQL's GTID dump carries 8 bytes).
    static func binlogDump(position: UInt64, flags: UInt16, serverID: UInt32, file: String) -> [UInt8] {
        var body: [UInt8] = []
        append(&body, min(position, UInt64(UInt32.max)), 4)
        append(&body, UInt64(flags), 2)
        append(&body, UInt64(serverID), 4)
        body += Array(file.utf8)
        return body
    }

    /// Flag BINLOG_THROUGH_GTID of COM_BINLOG_DUMP_GTID: the GTID set follows.
    static let throughGTID: UInt16 = 4

    /// COM_BINLOG_DUMP_GTID (0x1e, MySQL 5.6+): flags (2), server_id (4), file name length (4),
    /// file name, position (8), then with BINLOG_THROUGH_GTID the encoded GTID set's length (4) and
    /// the set (`MySQLGTIDSet.encoded`: number of sids (8), per sid its uuid (16), number of
    /// intervals (8) and each interval as start (8) and exclusive end (8); MySQL 8.3+'s tagged
    /// format when the set has tags).
    static func binlogDumpGTID(
        gtids: MySQLGTIDSet, flags: UInt16, serverID: UInt32, file: String = "", position: UInt64 = 4
    )
        -> [UInt8]
    {
        var body: [UInt8] = []
        append(&body, UInt64(flags | throughGTID), 2)
        append(&body, UInt64(serverID), 4)
        let name = Array(file.utf8)
        append(&body, UInt64(name.count), 4)
        body += name
        append(&body, position, 8)
        let set = encode(gtids)
        append(&body, UInt64(set.count), 4)
        body += set
        return body
    }

    static func encode(_ set: MySQLGTIDSet) -> [UInt8] { set.encoded }

    private static func append(_ out: inout [UInt8], _ value: UInt64, _ width: Int) {
        for index in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
}
