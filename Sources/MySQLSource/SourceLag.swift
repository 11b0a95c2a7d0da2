import Binlog

/// How far behind the source the stream is.
package struct SourceLag: Sendable, Equatable {
    /// Now minus the time of the last event read; kept near zero by heartbeats while the
    /// server has nothing to send. Nil before the first event.
    package var secondsBehind: Double?
    /// Bytes of binlog on the server after the stream's position; nil when not measured.
    package var bytesBehind: UInt64?

    package init(secondsBehind: Double?, bytesBehind: UInt64?) {
        self.secondsBehind = secondsBehind
        self.bytesBehind = bytesBehind
    }
}

extension SourceLag {
    /// A lag measured from binlog timestamps, at the resolution they have (whole seconds):
    /// `< 1 s`, `3 s`, or `?` when unknown.
    package static func text(seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "?" }
        return seconds < 1 ? "< 1 s" : "\(Int(seconds)) s"
    }
}

/// Keeps the reference time for `secondsBehind` on the server's clock: the timestamp of the last
/// real event, or the server's "now" at the arrival of a heartbeat (the server sends one only
/// when it has sent everything it has).
///
/// Event timestamps are the server's clock and the caller's `now` is this host's: `clockOffset`
/// (server minus local, measured at connect) turns the local clock into the server's, so a host
/// clock ahead or behind the server's does not make the lag climb or read zero.
package struct LagTracker: Sendable, Equatable {
    package private(set) var reference: Double?
    /// Server clock minus this host's clock, in seconds (0 until measured).
    package var clockOffset: Double = 0

    package init() {}

    package mutating func observe(_ event: Event, now: Double) {
        let serverNow = now + clockOffset
        if case .heartbeat = event.body {
            reference = serverNow
        } else if !event.header.isArtificial, event.header.timestamp != 0 {
            reference = min(max(reference ?? 0, Double(event.header.timestamp)), serverNow)
        }
    }

    package func secondsBehind(now: Double) -> Double? {
        reference.map { max(0, now + clockOffset - $0) }
    }

    /// Server minus local clock from one `UNIX_TIMESTAMP(NOW(6))` answered between the local
    /// times `before` and `after` (the round trip's midpoint is taken as the moment it was read).
    package static func clockOffset(server: Double, before: Double, after: Double) -> Double {
        server - (before + after) / 2
    }

    /// Bytes from `position` to the end of the binlog, from SHOW BINARY LOGS (name, size) rows.
    package static func bytesBehind(_ position: BinlogPosition, logs: [(name: String, size: UInt64)]) -> UInt64 {
        var total: UInt64 = 0
        for log in logs {
            let here = BinlogPosition(file: log.name, offset: 0)
            if log.name == position.file {
                total += log.size > position.offset ? log.size - position.offset : 0
            } else if position < here {
                total += log.size
            }
        }
        return total
    }

    /// SHOW BINARY LOGS as (name, size) pairs.
    package static func binaryLogs(on connection: MySQLConnection) throws(MySQLError) -> [(name: String, size: UInt64)]
    {
        let rows = try connection.query("SHOW BINARY LOGS")
        return rows.rows.indices.compactMap { row in
            guard let name = rows.value("Log_name", row: row),
                let size = rows.value("File_size", row: row).flatMap(UInt64.init)
            else { return nil }
            return (name, size)
        }
    }
}
