/// The server variables the source depends on, read once per connection.
///
/// `rowMetadata` is nil on servers that do not have `binlog_row_metadata` (MariaDB before 10.5,
/// MySQL before 8.0.1). `syncBinlog` and `innodbFlushLogAtTrxCommit` are kept for the daemon's
/// durability warnings at startup.
package struct ServerSettings: Sendable, Equatable {
    package enum Flavour: String, Sendable, Equatable {
        case mariadb, mysql
    }

    package var version: String
    package var serverID: UInt32
    /// MySQL's `server_uuid`; nil on MariaDB.
    package var serverUUID: String?
    package var logBin: Bool
    package var binlogFormat: String
    package var binlogRowImage: String
    package var binlogRowMetadata: String?
    package var binlogChecksum: String
    package var syncBinlog: Int?
    package var innodbFlushLogAtTrxCommit: Int?
    /// MySQL's `gtid_mode` (ON, OFF, ...); nil on MariaDB.
    package var gtidMode: String?

    package init(
        version: String, serverID: UInt32, serverUUID: String? = nil, logBin: Bool, binlogFormat: String,
        binlogRowImage: String, binlogRowMetadata: String?, binlogChecksum: String, syncBinlog: Int? = nil,
        innodbFlushLogAtTrxCommit: Int? = nil, gtidMode: String? = nil
    ) {
        self.version = version
        self.serverID = serverID
        self.serverUUID = serverUUID
        self.logBin = logBin
        self.binlogFormat = binlogFormat
        self.binlogRowImage = binlogRowImage
        self.binlogRowMetadata = binlogRowMetadata
        self.binlogChecksum = binlogChecksum
        self.syncBinlog = syncBinlog
        self.innodbFlushLogAtTrxCommit = innodbFlushLogAtTrxCommit
        self.gtidMode = gtidMode
    }

    package var flavour: Flavour { version.contains("MariaDB") ? .mariadb : .mysql }

    /// Reads the variables; a variable the server does not have reads as nil.
    package static func read(from connection: MySQLConnection) throws(MySQLError) -> ServerSettings {
        let base = try connection.query(
            """
            SELECT @@version AS version, @@server_id AS server_id, @@log_bin AS log_bin,
                   @@GLOBAL.binlog_format AS format, @@GLOBAL.binlog_row_image AS image, @@binlog_checksum AS checksum,
                   @@sync_binlog AS sync_binlog, @@innodb_flush_log_at_trx_commit AS flush
            """)
        let version = base.value("version") ?? ""
        let settings = ServerSettings(
            version: version, serverID: UInt32(base.value("server_id") ?? "") ?? 0,
            serverUUID: version.contains("MariaDB") ? nil : try optionalVariable("server_uuid", connection),
            logBin: base.value("log_bin") == "1" || base.value("log_bin") == "ON",
            binlogFormat: base.value("format") ?? "", binlogRowImage: base.value("image") ?? "",
            binlogRowMetadata: try optionalVariable("binlog_row_metadata", connection),
            binlogChecksum: base.value("checksum") ?? "NONE", syncBinlog: base.value("sync_binlog").flatMap { Int($0) },
            innodbFlushLogAtTrxCommit: base.value("flush").flatMap { Int($0) },
            gtidMode: version.contains("MariaDB") ? nil : try optionalVariable("gtid_mode", connection))
        return settings
    }

    /// `@@name`, or nil when the server has no such variable (error 1193).
    private static func optionalVariable(_ name: String, _ connection: MySQLConnection) throws(MySQLError) -> String? {
        do {
            return try connection.query("SELECT @@GLOBAL.\(name) AS value").value("value")
        } catch  where error.code == 1193 {
            return nil
        }
    }
}
