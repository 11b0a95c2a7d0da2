import Foundation

/// `[source]`: the MySQL/MariaDB primary sluice reads the binlog from, as a replica.
package struct SourceConfig: Sendable, Equatable {
    package enum Flavor: String, Sendable, Equatable, CaseIterable {
        case auto, mysql, mariadb
    }

    /// Where to start reading. The `checkpoint-or-*` modes resume from the checkpoint when one
    /// exists; the others ignore it (a deliberate rewind or skip for one run).
    package enum Start: Sendable, Equatable {
        case checkpointOrEarliest
        case checkpointOrEnd
        case earliest
        case end
        case position(file: String, offset: UInt64)
        case gtid(String)
    }

    enum StartMode: String, CaseIterable {
        case checkpointOrEarliest = "checkpoint-or-earliest"
        case checkpointOrEnd = "checkpoint-or-end"
        case earliest, end, position, gtid
    }

    package enum TLSMode: String, Sendable, Equatable, CaseIterable {
        case disabled, preferred, required
        case verifyCA = "verify-ca"
        case verifyIdentity = "verify-identity"
    }

    package struct TLS: Sendable, Equatable {
        package var mode: TLSMode
        package var files: TLSFiles
    }

    /// `[source.checks]`: startup checks of the server's settings; each can be turned off.
    package struct Checks: Sendable, Equatable {
        package var requireSyncBinlog: Bool
        package var requireInnodbFlush: Bool
        package var requireRowFormat: Bool
        package var requireFullRowImage: Bool

        package init(
            requireSyncBinlog: Bool, requireInnodbFlush: Bool, requireRowFormat: Bool, requireFullRowImage: Bool
        ) {
            self.requireSyncBinlog = requireSyncBinlog
            self.requireInnodbFlush = requireInnodbFlush
            self.requireRowFormat = requireRowFormat
            self.requireFullRowImage = requireFullRowImage
        }
    }

    package var host: String
    package var port: Int
    /// Unix socket; when set, host and port are not used.
    package var socket: String?
    package var user: String
    package var password: Secret?
    package var serverID: UInt32
    package var flavor: Flavor
    package var tls: TLS
    package var start: Start
    package var connectTimeoutMS: Int
    package var heartbeatMS: Int
    package var reconnectMinMS: Int
    package var reconnectMaxMS: Int
    /// Rows of one undecided XA transaction held in memory; above that its events go to a file.
    package var xaSpillRows: Int
    /// Folder of those files; nil means the system's temporary folder.
    package var xaSpillDirectory: String?
    package var checks: Checks

    init?(_ reader: TableReader) {
        let host = reader.nonEmptyString("host", default: "127.0.0.1")
        let port = reader.integer("port", default: 3306, range: 1...65535)
        socket = reader.nonEmptyString("socket")
        let user = reader.nonEmptyString("user", required: true)
        password = reader.secret()
        let serverID = reader.integer("server_id", required: true, range: 1...4_294_967_295)
        flavor = reader.choice("flavor", default: Flavor.auto)

        let tlsReader = reader.table("tls")
        let tlsMode = tlsReader.choice("mode", default: TLSMode.preferred)
        let verifying = tlsMode == .verifyCA || tlsMode == .verifyIdentity
        tls = TLS(mode: tlsMode, files: TLSFiles(tlsReader, mode: tlsMode.rawValue, requiresCA: verifying))
        reader.attach("tls", tlsReader)

        let start = Self.readStart(reader)
        connectTimeoutMS = reader.integer("connect_timeout_ms", default: 5000, range: 100...600_000) ?? 5000
        heartbeatMS = reader.integer("heartbeat_ms", default: 1000, range: 100...3_600_000) ?? 1000
        reconnectMinMS = reader.integer("reconnect_min_ms", default: 100, range: 1...600_000) ?? 100
        reconnectMaxMS = reader.integer("reconnect_max_ms", default: 30_000, range: 1...3_600_000) ?? 30_000
        if reconnectMinMS > reconnectMaxMS {
            reader.badValue("reconnect_min_ms", "must not exceed reconnect_max_ms (\(reconnectMaxMS))")
        }
        xaSpillRows = reader.integer("xa_spill_rows", default: 100_000, range: 1...100_000_000) ?? 100_000
        xaSpillDirectory = reader.nonEmptyString("xa_spill_directory")

        let checksReader = reader.table("checks")
        checks = Checks(
            requireSyncBinlog: checksReader.bool("require_sync_binlog", default: true),
            requireInnodbFlush: checksReader.bool("require_innodb_flush", default: true),
            requireRowFormat: checksReader.bool("require_row_format", default: true),
            requireFullRowImage: checksReader.bool("require_full_row_image", default: true))
        reader.attach("checks", checksReader)

        guard let host, let port, let user, let serverID, let start else { return nil }
        self.host = host
        self.port = port
        self.user = user
        self.serverID = UInt32(serverID)
        self.start = start
    }

    private static func readStart(_ reader: TableReader) -> Start? {
        let mode = reader.choice("start", default: StartMode.checkpointOrEarliest)
        let file = reader.nonEmptyString("start_file")
        let position = reader.integer("start_position", range: 4...Int.max)
        let gtid = reader.string("start_gtid") { text in
            text.range(
                of:
                    #"^\s*([0-9]+-[0-9]+-[0-9]+|[0-9a-fA-F-]{36}:[0-9:-]+)(\s*,\s*([0-9]+-[0-9]+-[0-9]+|[0-9a-fA-F-]{36}:[0-9:-]+))*\s*$"#,
                options: .regularExpression) == nil
                ? "expected a GTID set (MariaDB \"0-1-100\" or MySQL \"uuid:1-100\"), got \"\(text)\"" : nil
        }
        for (key, used) in [
            ("start_file", mode == .position), ("start_position", mode == .position),
            ("start_gtid", mode == .gtid),
        ] where reader.has(key) && !used {
            reader.badValue(key, "only used when start = \"\(key == "start_gtid" ? "gtid" : "position")\"")
        }
        switch mode {
        case .checkpointOrEarliest: return .checkpointOrEarliest
        case .checkpointOrEnd: return .checkpointOrEnd
        case .earliest: return .earliest
        case .end: return .end
        case .position:
            for key in ["start_file", "start_position"] where !reader.has(key) {
                reader.missing(key, "required when start = \"position\"", line: reader.line(of: "start"))
            }
            guard let file, let position else { return nil }
            return .position(file: file, offset: UInt64(position))
        case .gtid:
            if !reader.has("start_gtid") {
                reader.missing("start_gtid", "required when start = \"gtid\"", line: reader.line(of: "start"))
            }
            return gtid.map { .gtid($0.trimmingCharacters(in: .whitespaces)) }
        }
    }
}
