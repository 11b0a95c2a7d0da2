import Binlog
import Foundation
import Timekeeping

/// Everything the source needs to know.
package struct SourceConfiguration: Sendable {
    package var endpoint: MySQLEndpoint
    package var replica: ReplicaOptions
    package var start: SourceStart
    package var chunkRows: Int
    package var backoff: Backoff
    /// XIDs of XA transactions known to have changed no rows (see `TransactionAssembler`).
    package var assumeEmptyXIDs: Set<XID>
    /// A prepared XA transaction with more rows than this is kept in a temp file in
    /// `spillDirectory` (its raw events) instead of memory until its XA COMMIT.
    package var spillRows: Int
    package var spillDirectory: String

    package init(
        endpoint: MySQLEndpoint, replica: ReplicaOptions, start: SourceStart, chunkRows: Int = 10_000,
        backoff: Backoff = Backoff(), assumeEmptyXIDs: Set<XID> = [], spillRows: Int = 100_000,
        spillDirectory: String = NSTemporaryDirectory()
    ) {
        self.spillRows = spillRows
        self.spillDirectory = spillDirectory
        self.endpoint = endpoint
        self.replica = replica
        self.start = start
        self.chunkRows = chunkRows
        self.backoff = backoff
        self.assumeEmptyXIDs = assumeEmptyXIDs
    }
}

/// The replication source: committed transactions out, in binlog order, surviving disconnects.
///
/// `next()` blocks until the next transaction (or chunk of one) is ready. A lost connection is
/// re-opened with backoff and the stream resumes right after the last transaction handed out
/// (see `TransactionAssembler`); errors that retrying cannot fix are thrown, and once thrown,
/// every later call throws the same error without touching the network.
package final class BinlogSource {
    package let configuration: SourceConfiguration
    /// Monotonic for the reconnect timers, the poll deadline and the silence; wall for the lag
    /// (event timestamps are the server's wall clock).
    private let clock: any ServiceClock
    private let pause: @Sendable (Double) -> Void
    private let random: @Sendable () -> Double
    /// Where to connect: asked before every connection attempt (a test can move the source).
    private let endpoint: () -> MySQLEndpoint
    private var machine: ReconnectStateMachine
    private var session: ReplicationSession?
    /// Where the last connection attempt asked the server to start.
    private var requested: SourceStart?
    private var assembler: TransactionAssembler?
    private var ready: [SourceTransaction] = []
    /// The raw events of the XA transaction being prepared; spilled prepared XAs by XID; the
    /// committed one being handed out.
    private var spilling: XASpillFile?
    private var spills: [XID: XASpillFile] = [:]
    private var drain: XASpillDrain?
    /// The reference time of `secondsBehind` (see `LagTracker`).
    package private(set) var lagTracker = LagTracker()
    /// When (the monotonic clock) the last event arrived, or the last connection opened: how
    /// long the server has been silent.
    package private(set) var lastHeardAt: MonotonicInstant?
    /// Events read so far by type code, for the `sluice_source_events_total` metric.
    package private(set) var eventCounts: [UInt8: Int] = [:]
    private var server: (id: UInt32, uuid: String?)?
    private let schemas: SchemaCache
    /// Connections made so far (the first, then every reconnect).
    package private(set) var connections = 0
    /// Connections lost inside a transaction, and those of them after part of it was handed out
    /// (then the rest follows with nothing repeated).
    package private(set) var interrupted = 0
    package private(set) var resumedMidTransaction = 0
    /// Each retryable failure, newest last (for logs, metrics and tests).
    package private(set) var failures: [SourceError] = []

    /// `clock`, `pause` (the reconnect backoff's waits) and `random` (its jitter) are injected so
    /// tests control them.
    package init(
        _ configuration: SourceConfiguration, clock: any ServiceClock = SystemClock(),
        pause: @escaping @Sendable (Double) -> Void = { if $0 > 0 { Thread.sleep(forTimeInterval: $0) } },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        endpoint: (() -> MySQLEndpoint)? = nil
    ) {
        self.configuration = configuration
        self.clock = clock
        self.pause = pause
        self.random = random
        self.endpoint = endpoint ?? { configuration.endpoint }
        machine = ReconnectStateMachine(backoff: configuration.backoff)
        let target = self.endpoint
        schemas = SchemaCache(connect: { () throws(SourceError) -> MySQLConnection in
            do throws(MySQLError) {
                return try MySQLConnection(target())
            } catch {
                throw SourceError.classify(error, place: "schema lookup")
            }
        })
    }

    /// The server_id of the server streamed from (once connected).
    package var serverID: UInt32? { server?.id }
    /// Its server_uuid (MySQL; nil on MariaDB) and flavour, once connected.
    package var serverUUID: String? { server?.uuid }
    package private(set) var serverFlavour: ServerSettings.Flavour?
    /// The replication connection's id on the server (for `KILL`), nil while disconnected.
    package var connectionID: UInt64? { session?.connection.threadID }
    /// Where a restart may begin without losing anything.
    package var checkpoint: SourceCheckpoint? { assembler?.checkpoint }
    /// Where a reconnect resumes (the end of the last transaction read).
    package var position: SourceCheckpoint? { assembler?.resume }
    /// information_schema lookups done for tables whose TABLE_MAP had no column names.
    package var schemaLookups: Int { schemas.lookups }

    /// Seconds behind (from event times and heartbeats); bytes behind when `measureBytes`.
    package func lag(measureBytes: Bool = false) -> SourceLag {
        var lag = SourceLag(secondsBehind: lagTracker.secondsBehind(now: wallSeconds()), bytesBehind: nil)
        if measureBytes, let position = assembler?.resume.binlog,
            let logs = try? LagTracker.binaryLogs(on: MySQLConnection(endpoint()))
        {
            lag.bytesBehind = LagTracker.bytesBehind(position, logs: logs)
        }
        return lag
    }

    /// The next transaction or chunk; nil at the end of the binlog when not following.
    package func next() throws(SourceError) -> SourceTransaction? {
        try poll(for: .infinity)
    }

    /// Like `next()`, but also returns nil once `seconds` have passed on the monotonic clock
    /// (checked after every event; heartbeats arrive at least every `heartbeatSeconds`), so a
    /// caller can do other work between transactions.
    package func poll(for seconds: Double) throws(SourceError) -> SourceTransaction? {
        let deadline = Deadline(in: seconds, clock: clock)
        while true {
            if !ready.isEmpty { return ready.removeFirst() }
            if let drain {
                let chunk = try drain.next { (map: TableMapEvent) throws(SourceError) -> TableSchema in
                    try schemas.schema(for: map)
                }
                if chunk?.isLast != false { self.drain = nil }
                if let chunk { return chunk }
                continue
            }
            if deadline.hasPassed { return nil }
            if session == nil {
                try connect()
                continue
            }
            guard let open = session else { continue }
            do {
                guard let event = try open.next() else { return nil }
                lastHeardAt = clock.monotonicNow()
                lagTracker.observe(event.event, now: wallSeconds())
                eventCounts[event.event.header.typeCode, default: 0] += 1
                guard var assembler else { continue }
                if assembler.preparing { try keep(event, session: open) }
                var out = try assembler.consume(event) { (map: TableMapEvent) throws(SourceError) -> TableSchema in
                    try schemas.schema(for: map)
                }
                self.assembler = assembler
                try settleSpills(&out, after: event)
                if out.contains(where: { $0.statement != nil }) { schemas.invalidate() }
                if out.contains(where: \.isLast) { machine.progressed() }
                ready += out
            } catch {
                try lost(error)
            }
        }
    }

    /// The raw TABLE_MAP and ROWS events of a group being prepared go to its spill file.
    private func keep(_ event: SourceEvent, session: ReplicationSession) throws(SourceError) {
        switch event.event.body {
        case .tableMap, .rows:
            if spilling == nil {
                spilling = try XASpillFile(directory: configuration.spillDirectory, decoder: session.decoder)
            }
            try spilling?.append(event.raw)
        default:
            break
        }
    }

    /// After an event: a prepared group's file is kept under its XID when the assembler spilled
    /// its rows (else deleted); a committed spilled XA is handed out from its file in chunks; the
    /// files of XAs no longer pending (rolled back) are deleted.
    private func settleSpills(_ out: inout [SourceTransaction], after event: SourceEvent) throws(SourceError) {
        guard let assembler else { return }
        if !assembler.preparing, let file = spilling {
            spilling = nil
            if case .xaPrepare = event.event.body, let held = assembler.pending.last, held.spilled {
                spills[held.xid] = file
            }
        }
        if let xid = assembler.committedSpill, let index = out.lastIndex(where: { $0.xid == xid }) {
            guard let file = spills.removeValue(forKey: xid) else {
                throw SourceError(
                    .spill, "XA COMMIT \(xid): its spilled rows are not on file", place: event.place)
            }
            drain = try XASpillDrain(file, commit: out.remove(at: index), chunkRows: configuration.chunkRows)
        }
        let waiting = Set(assembler.pending.map(\.xid))
        spills = spills.filter { waiting.contains($0.key) }
    }

    private func lost(_ error: SourceError) throws(SourceError) {
        if error.code == .purgedBinlog { throw explainPurged(error) }
        session = nil
        spilling = nil
        if let handedOut = assembler?.connectionLost() {
            interrupted += 1
            if handedOut > 0 { resumedMidTransaction += 1 }
        }
        switch machine.failed(error, now: clock.monotonicNow().seconds, random: random()) {
        case .stop(let final):
            throw final
        case .wait(let until):
            failures.append(error)
            pause(until - clock.monotonicNow().seconds)
        case .connect:
            break
        }
    }

    private func connect() throws(SourceError) {
        switch machine.state {
        case .stopped(let error):
            throw error
        case .waiting:
            if case .wait(let until) = machine.timerFired(now: clock.monotonicNow().seconds) {
                pause(until - clock.monotonicNow().seconds)
                _ = machine.timerFired(now: clock.monotonicNow().seconds)
            }
        case .idle:
            _ = machine.start()
        default:
            break
        }
        do {
            let start = try resumeStart()
            requested = start
            let opened = try ReplicationSession(endpoint: endpoint(), options: configuration.replica, start: start)
            connections += 1
            server = (opened.settings.serverID, opened.settings.serverUUID)
            serverFlavour = opened.settings.flavour
            if assembler == nil {
                assembler = TransactionAssembler(
                    from: try initialCheckpoint(opened), chunkRows: configuration.chunkRows,
                    spillRows: configuration.spillRows,
                    assumeEmpty: configuration.assumeEmptyXIDs)
            }
            session = opened
            measureClockOffset()
            lastHeardAt = clock.monotonicNow()
            machine.connected(now: clock.monotonicNow().seconds)
        } catch {
            try lost(error)
        }
    }

    /// Measures the server's clock against ours (event timestamps are the server's); a failure
    /// keeps the last offset (0 at first), it only matters for the lag.
    private func measureClockOffset() {
        let before = wallSeconds()
        guard let text = try? MySQLConnection(endpoint()).query("SELECT UNIX_TIMESTAMP(NOW(6)) AS now").value("now"),
            let server = Double(text)
        else { return }
        lagTracker.clockOffset = LagTracker.clockOffset(server: server, before: before, after: wallSeconds())
    }

    /// The wall clock in Unix seconds, the scale of event timestamps.
    private func wallSeconds() -> Double { clock.wallNow().timeIntervalSince1970 }

    /// Where the next connection starts: the configured start the first time, then right after
    /// the last transaction read, by position on the same server or by GTID on another one.
    private func resumeStart() throws(SourceError) -> SourceStart {
        guard let assembler, let server else { return configuration.start }
        let resume = assembler.resume
        if resume.binlog.file.isEmpty { return configuration.start }
        let now = try probeServer()
        if now.id == server.id && now.uuid == server.uuid { return .position(resume.binlog) }
        if let gtid = resume.mariadbGTID { return .mariadbGTID(gtid) }
        if let set = resume.mysqlGTID { return .mysqlGTID(set) }
        throw SourceError(
            .serverChanged,
            "the source is now server_id \(now.id)\(now.uuid.map { " (\($0))" } ?? "") but was server_id \(server.id); "
                + "binlog positions of one server mean nothing on another and no GTID state is known to continue from",
            place: resume.description)
    }

    private func probeServer() throws(SourceError) -> (id: UInt32, uuid: String?) {
        do {
            let settings = try ServerSettings.read(from: MySQLConnection(endpoint()))
            return (settings.serverID, settings.serverUUID)
        } catch {
            throw SourceError.classify(error, place: "server identity")
        }
    }

    /// The checkpoint the first connection starts at, with the GTID state there when the server can say.
    private func initialCheckpoint(_ session: ReplicationSession) throws(SourceError) -> SourceCheckpoint {
        switch session.start {
        case .mariadbGTID(let gtid):
            return SourceCheckpoint(binlog: BinlogPosition(file: "", offset: 4), mariadbGTID: gtid)
        case .mysqlGTID(let set):
            return SourceCheckpoint(binlog: BinlogPosition(file: "", offset: 4), mysqlGTID: set)
        case .position(let position):
            guard session.settings.flavour == .mariadb else { return SourceCheckpoint(binlog: position) }
            do {
                let text = try MySQLConnection(endpoint()).query(
                    "SELECT BINLOG_GTID_POS('\(sqlString(position.file))', \(position.offset)) AS gtid"
                ).value("gtid")
                return SourceCheckpoint(
                    binlog: position, mariadbGTID: text.flatMap { MariaDBGTIDPosition(parsing: $0) })
            } catch {
                return SourceCheckpoint(binlog: position)
            }
        case .current, .earliest:
            return SourceCheckpoint(binlog: BinlogPosition(file: "", offset: 4))
        }
    }

    /// A start point the server does not have: past its binlog (`pastTheBinlog`), else purged:
    /// name the earliest place still on the server and the way out.
    private func explainPurged(_ error: SourceError) -> SourceError {
        if let past = pastTheBinlog(error) {
            machine.stop(past)
            return past
        }
        var earliest = "unknown (SHOW BINARY LOGS failed)"
        if let connection = try? MySQLConnection(endpoint()),
            let first = try? LagTracker.binaryLogs(on: connection).first
        {
            earliest = "\(first.name):4"
            if let gtid = try? connection.query("SELECT BINLOG_GTID_POS('\(sqlString(first.name))', 4) AS g").value(
                "g"),
                !gtid.isEmpty
            {
                earliest += " (GTID position \(gtid))"
            }
        }
        let machineError = SourceError(
            .purgedBinlog,
            "the binlog at \(error.place ?? "the start point") is no longer on the server (purged): \(error.mysql?.message ?? error.message). "
                + "The earliest binlog still on the server starts at \(earliest). The changes in between cannot be replayed: "
                + "reload each Redis cluster from the database with `sluice snapshot --config FILE --cluster NAME` (it sets "
                + "the cluster's checkpoint to the snapshot's position) and move the Kafka sink's checkpoint there with "
                + "`sluice checkpoint set --config FILE --sink kafka --position FILE:POS` (docs/resync.md)",
            place: error.place, mysql: error.mysql)
        machine.stop(machineError)
        return machineError
    }

    /// The server's "not in the master's binlog" for a MariaDB GTID start that is past its
    /// `@@gtid_binlog_pos` (nothing purged: the server never had those transactions); nil for any
    /// other start, or when the position cannot be read (then it is explained as purged).
    private func pastTheBinlog(_ error: SourceError) -> SourceError? {
        guard case .mariadbGTID(let from)? = requested,
            let answer = try? MySQLConnection(endpoint()).query(
                "SELECT @@gtid_binlog_pos AS g, @@server_id AS id"),
            let past = PastTheBinlog(
                from, binlog: MariaDBGTIDPosition(parsing: answer.value("g") ?? "") ?? MariaDBGTIDPosition())
        else { return nil }
        return SourceError(
            .pastTheBinlog,
            "the start point (gtid \(from)) is past the binlog of server_id \(answer.value("id") ?? "?") "
                + "(gtid \(past.binlogText)): \(past.transactions) transaction(s) this server never wrote "
                + "(\(error.mysql?.message ?? error.message)). When the sinks hold changes of an old primary this server "
                + "lacks (it was promoted while behind), run `sluice repair-ahead --config FILE` to rewrite those keys "
                + "from this server and move the checkpoints onto it, then start again; when a configured start_gtid is "
                + "wrong, correct it (docs/failover.md, \"Rows ahead\")",
            place: error.place, mysql: error.mysql)
    }

}
