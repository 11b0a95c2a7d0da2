import Binlog
import BinlogCompression
import CMariaDB

/// How the source presents itself to the server as a replica.
package struct ReplicaOptions: Sendable, Equatable {
    /// Must differ from the server's and from every other replica's.
    package var serverID: UInt32
    /// Seconds between heartbeats the server sends while it has nothing else to send (0 = none).
    package var heartbeatSeconds: Double
    /// Shown in SHOW SLAVE HOSTS.
    package var reportHost: String
    /// Keep waiting for new events at the end of the binlog (false: stop there).
    package var follow: Bool

    package init(serverID: UInt32, heartbeatSeconds: Double = 1, reportHost: String = "sluice", follow: Bool = true) {
        self.serverID = serverID
        self.heartbeatSeconds = heartbeatSeconds
        self.reportHost = reportHost
        self.follow = follow
    }
}

/// One decoded event and where it sits: `position` of its first byte and `nextPosition` after it,
/// in `file`. Artificial events (heartbeats, the fake ROTATE at connect) have both equal to the
/// current position.
package struct SourceEvent: Sendable, Equatable {
    package var event: Event
    package var file: String
    package var position: UInt64
    package var nextPosition: UInt64
    /// The event as read (header, body and checksum), for callers that keep it (XA spill files).
    package var raw: [UInt8] = []

    package init(event: Event, file: String, position: UInt64, nextPosition: UInt64) {
        self.event = event
        self.file = file
        self.position = position
        self.nextPosition = nextPosition
    }

    package var place: String { "\(file):\(position)" }
}

/// One replication connection, from registration to its end: connects, negotiates checksums and
/// heartbeats, registers as a replica (COM_REGISTER_SLAVE), asks for the binlog from a position or
/// GTID (COM_BINLOG_DUMP, or COM_BINLOG_DUMP_GTID for a MySQL GTID set) and decodes what arrives,
/// keeping track of the current file and position.
package final class ReplicationSession {
    package let connection: MySQLConnection
    package let settings: ServerSettings
    /// Where the dump started (after resolving `current`/`earliest`).
    package let start: SourceStart
    package private(set) var file: String
    package private(set) var offset: UInt64
    /// The decoder as it stands (format, checksums, tables): decodes again events read earlier.
    package private(set) var decoder: EventDecoder
    private var ended = false
    private let follow: Bool

    package init(endpoint: MySQLEndpoint, options: ReplicaOptions, start: SourceStart) throws(SourceError) {
        follow = options.follow
        var endpoint = endpoint
        if options.heartbeatSeconds > 0 {
            // Three missed heartbeats: the connection is dead even without a FIN (a vanished host).
            endpoint.readTimeoutSeconds = UInt32(min(3600, max(2, options.heartbeatSeconds * 3 + 2)))
        }
        do {
            connection = try MySQLConnection(endpoint)
            settings = try ServerSettings.read(from: connection)
        } catch {
            throw SourceError.classify(error, place: start.description)
        }
        if case .mysqlGTID = start, settings.flavour == .mariadb {
            throw SourceError(
                .configuration,
                "a MySQL GTID set cannot start a MariaDB source (\(settings.version)); give a MariaDB GTID position (domain-server-sequence) or FILE:POS",
                place: start.description)
        }
        let resolved = try Self.resolve(start, on: connection)
        self.start = resolved
        switch resolved {
        case .position(let position):
            file = position.file
            offset = position.offset
        default:
            file = ""
            offset = 4
        }
        let checksum: ChecksumAlgorithm = settings.binlogChecksum.uppercased() == "CRC32" ? .crc32 : .off
        decoder = EventDecoder(
            file: file, format: .assumed(checksum: checksum, flavour: settings.flavour == .mariadb ? .mariadb : .mysql),
            decompressor: StandardDecompressor(), textConverter: IconvTextConverter())
        do {
            try negotiate(options)
            try dump(resolved, options: options, endpoint: endpoint)
        } catch {
            throw SourceError.classify(error, place: resolved.description)
        }
    }

    /// `current` and `earliest` become a file and position on this server.
    package static func resolve(_ start: SourceStart, on connection: MySQLConnection) throws(SourceError)
        -> SourceStart
    {
        do {
            switch start {
            case .current:
                let status = try connection.query("SHOW MASTER STATUS")
                guard let file = status.value("File"), let position = status.value("Position").flatMap(UInt64.init)
                else {
                    throw SourceError(.prerequisite, "SHOW MASTER STATUS returned nothing: is the binary log on?")
                }
                return .position(BinlogPosition(file: file, offset: position))
            case .earliest:
                let logs = try connection.query("SHOW BINARY LOGS")
                guard let file = logs.value("Log_name") else {
                    throw SourceError(.prerequisite, "SHOW BINARY LOGS returned nothing: is the binary log on?")
                }
                return .position(BinlogPosition(file: file, offset: 4))
            default:
                return start
            }
        } catch let error as MySQLError {
            throw SourceError.classify(error, place: start.description)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SourceError(.connect, "\(error)", place: start.description)
        }
    }

    private func negotiate(_ options: ReplicaOptions) throws(MySQLError) {
        // The server sends CRC32-checked events only to a replica that says it can read them.
        try connection.execute(
            "SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum"
        )
        if options.heartbeatSeconds > 0 {
            let nanoseconds = UInt64(options.heartbeatSeconds * 1_000_000_000)
            try connection.execute(
                "SET @master_heartbeat_period = \(nanoseconds), @source_heartbeat_period = \(nanoseconds)")
        }
        if settings.flavour == .mariadb {
            // MARIA_SLAVE_CAPABILITY_MINE (4): GTID events as they are, annotate events understood.
            try connection.execute("SET @mariadb_slave_capability = 4")
        }
    }

    private func dump(_ start: SourceStart, options: ReplicaOptions, endpoint: MySQLEndpoint) throws(MySQLError) {
        let register = ReplicationCommand.registerReplica(
            serverID: options.serverID, host: options.reportHost, user: "", password: "", port: 0)
        try connection.send(COM_REGISTER_SLAVE, register, expectOK: true, context: "COM_REGISTER_SLAVE")
        let flags = options.follow ? 0 : ReplicationCommand.nonBlocking
        switch start {
        case .mariadbGTID(let gtid):
            try connection.execute("SET @slave_connect_state = '\(sqlString(gtid.description))'")
            try connection.execute("SET @slave_gtid_strict_mode = 1, @slave_gtid_ignore_duplicates = 0")
            let body = ReplicationCommand.binlogDump(position: 4, flags: flags, serverID: options.serverID, file: "")
            try connection.send(COM_BINLOG_DUMP, body, expectOK: false, context: "COM_BINLOG_DUMP from GTID \(gtid)")
        case .mysqlGTID(let set):
            let body = ReplicationCommand.binlogDumpGTID(gtids: set, flags: flags, serverID: options.serverID)
            try connection.send(
                MySQLConnection.binlogDumpGTID, body, expectOK: false, context: "COM_BINLOG_DUMP_GTID from \(set)")
        case .position(let position):
            let body = ReplicationCommand.binlogDump(
                position: position.offset, flags: flags, serverID: options.serverID, file: position.file)
            try connection.send(COM_BINLOG_DUMP, body, expectOK: false, context: "COM_BINLOG_DUMP from \(position)")
        case .current, .earliest:
            break  // resolved before
        }
    }

    /// The next event, or nil at the end of the binlog when not following.
    package func next() throws(SourceError) -> SourceEvent? {
        if ended { return nil }
        let packet: DumpPacket
        do throws(MySQLError) {
            packet = try connection.readDumpPacket(context: "binlog dump at \(file):\(offset)")
        } catch {
            throw SourceError.classify(error, place: "\(file):\(offset)")
        }
        guard case .event(let bytes) = packet else {
            guard follow else {
                ended = true
                return nil
            }
            // Asked to wait for new events, the server ends a dump only when it shuts down.
            throw SourceError(.connect, "the server ended the binlog dump (shutting down?)", place: "\(file):\(offset)")
        }
        var header = ByteReader(bytes)
        let size: UInt32
        let next: UInt32
        let flags: UInt16
        do throws(FieldError) {
            try header.skip(9, "timestamp, type, server id")
            size = try header.readUInt32LE("event size")
            next = try header.readUInt32LE("next position")
            flags = try header.readUInt16LE("flags")
        } catch {
            throw SourceError(.decode, "event header: \(error.message)", place: "\(file):\(offset)")
        }
        let artificial = flags & 0x20 != 0 || next == 0
        let position = artificial || UInt64(next) < UInt64(size) ? offset : UInt64(next) - UInt64(size)
        decoder.file = file
        let event: Event
        do {
            event = try decoder.decode(bytes, position: position)
        } catch {
            throw SourceError(.decode, error.description, place: "\(file):\(position)", decode: error)
        }
        var located = SourceEvent(event: event, file: file, position: position, nextPosition: position)
        located.raw = bytes
        switch event.body {
        case .rotate(let rotate):
            if !artificial { located.nextPosition = UInt64(next) }
            file = rotate.nextFile
            offset = rotate.position
        case .heartbeat:
            break
        default:
            if !artificial {
                offset = UInt64(next)
                located.nextPosition = offset
            }
        }
        return located
    }
}
