extension SourceError {
    /// Sorts a libmariadb/server error met while connecting or streaming into what the source does
    /// about it: retry (`.connect`) or stop with a clear reason. `place` is the binlog position or
    /// GTID the stream was at.
    package static func classify(_ error: MySQLError, place: String?) -> SourceError {
        let text = error.message
        switch error.code {
        case 1045, 1698, 1044:
            return SourceError(
                .authentication, "the server refused the account: \(text); fix the user/password in [source]",
                place: place, mysql: error)
        case 1227, 1142, 1143:
            return SourceError(
                .privileges,
                "the account lacks a privilege: \(text); sluice needs REPLICATION SLAVE, REPLICATION CLIENT (BINLOG MONITOR) and SELECT on mapped tables",
                place: place, mysql: error)
        case 1236:
            if text.contains("same server_uuid") || text.contains("same server_id") || text.contains("same server id") {
                return SourceError(
                    .serverIDConflict,
                    "another replica connected with the same server_id and the server dropped this one: \(text); give each replica its own server_id",
                    place: place, mysql: error)
            }
            if isPurgedMessage(text) {
                return SourceError(.purgedBinlog, text, place: place, mysql: error)
            }
            return SourceError(.binlogDump, "the server ended the binlog dump: \(text)", place: place, mysql: error)
        case 4052:
            // ER_SLAVE_SAME_ID (MariaDB 10.6+): sent to the older connection when another replica
            // registers with its server_id. Reconnecting would only throw the other one out.
            return SourceError(
                .serverIDConflict,
                "another replica connected with the same server_id and the server dropped this one: \(text); give each replica its own server_id",
                place: place, mysql: error)
        case 2026:
            return SourceError(.configuration, "TLS setup failed: \(text)", place: place, mysql: error)
        case 0:
            return SourceError(.configuration, text, place: place, mysql: error)
        default:
            // 2002/2003 can't connect, 2006/2013 gone/lost, 1040 too many connections, 1053 and
            // 1927 shutdown or killed, 1152/1158-1161 network errors, 2055 lost at handshake, ...
            return SourceError(.connect, text, place: place, mysql: error)
        }
    }

    /// The texts MySQL and MariaDB send (error 1236) for a start point that is no longer on the server.
    static func isPurgedMessage(_ text: String) -> Bool {
        let needles = [
            "Could not find first log file name", "purged", "which is not in the master's binlog",
            "not in the master's binlog", "Could not find GTID state", "could not find next log",
            "Could not open log file",
        ]
        let lower = text.lowercased()
        return needles.contains { lower.contains($0.lowercased()) }
    }
}
