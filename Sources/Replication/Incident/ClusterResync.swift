import Binlog
import Foundation
import MySQLSource
import Ops
import Timekeeping

/// `sluice resync`'s engine: replays a binlog range into one cluster through its sink's
/// version-checked apply, reading the binlog as a replica of its own (`serverID`, not the
/// daemon's, so the daemon's stream is not disconnected). Only this cluster is written and no
/// checkpoint is touched: replaying is harmless (versions refuse anything not newer), so it is
/// safe while `sluice run` runs, and a range already applied changes nothing.
package final class ClusterResync {
    /// Where the replay ends: after the transaction ending at or past a position, or after the
    /// transaction of a GTID (or the first past it in its domain); nil: the binlog's end now.
    package enum End: Sendable, Equatable, CustomStringConvertible {
        case position(BinlogPosition)
        case gtid(MariaDBGTID)

        package var description: String {
            switch self {
            case .position(let p): return "\(p)"
            case .gtid(let g): return "gtid \(g)"
            }
        }
    }

    package struct Report: Sendable {
        package var transactions = 0
        package var rows = 0
        package var applied = 0
        package var seconds = 0.0
        package var tables: Set<String> = []
        /// The end of the last transaction replayed, and its GTID.
        package var last: BinlogPosition?
        package var lastGTID = ""
        package var peakRSSMB = 0

        package var json: String {
            let obj: [String: Any] = [
                "rows": rows, "transactions": transactions, "applied": applied,
                "seconds": (seconds * 1000).rounded() / 1000,
                "rows_per_s": seconds > 0 ? (Double(rows) / seconds).rounded() : 0, "tables": tables.sorted(),
                "position": ["file": last?.file ?? "", "pos": last?.offset ?? 0, "gtid": lastGTID],
                "peak_rss_mb": peakRSSMB,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    let sink: RedisSink
    let filter: TableFilter
    let endpoint: MySQLEndpoint
    let serverID: UInt32
    let from: SourceStart
    let end: End?
    let progress: (Report) -> Void
    /// Read and count only, apply nothing (`sluice failover --dry-run`).
    package var countOnly = false
    /// Monotonic for the duration (and the source's timers).
    let clock: any ServiceClock

    package init(
        sink: RedisSink, filter: TableFilter, endpoint: MySQLEndpoint, serverID: UInt32, from: SourceStart,
        to end: End?, clock: any ServiceClock = SystemClock(),
        progress: @escaping (Report) -> Void = { _ in }
    ) {
        self.clock = clock
        self.sink = sink
        self.filter = filter
        self.endpoint = endpoint
        self.serverID = serverID
        self.from = from
        self.end = end
        self.progress = progress
    }

    /// `--from`/`--to` text: `FILE:POS` or a MariaDB GTID (one domain for `--to`).
    package static func parse(_ text: String, flag: String) throws(IncidentError) -> SourceStart {
        let start: SourceStart
        do {
            start = try SourceStart(parsing: text)
        } catch {
            throw IncidentError(
                .badPosition, "--\(flag) \(text): expected FILE:POS (bin.000003:1234) or a MariaDB GTID (0-1-42)")
        }
        switch start {
        case .position, .mariadbGTID: return start
        default:
            throw IncidentError(
                .badPosition, "--\(flag) \(text): expected FILE:POS (bin.000003:1234) or a MariaDB GTID (0-1-42)")
        }
    }

    package static func end(_ text: String) throws(IncidentError) -> End {
        switch try parse(text, flag: "to") {
        case .position(let p): return .position(p)
        case .mariadbGTID(let g) where g.gtids.count == 1: return .gtid(g.gtids[0])
        default: throw IncidentError(.badPosition, "--to \(text): give one GTID (0-1-42) or FILE:POS")
        }
    }

    package func run() throws -> Report {
        let started = Stopwatch(clock: clock)
        var report = Report()
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: endpoint,
                replica: ReplicaOptions(serverID: serverID, reportHost: "sluice-resync", follow: false),
                start: from, backoff: Backoff(initial: 0.2, maximum: 2)),
            clock: clock)
        var ordinal = 0
        while true {
            guard let t = try next(source) else { break }
            if t.chunk == 0 { ordinal = 0 }
            let item = t.pipelineTransaction(
                serverID: source.serverID ?? 0, firstOrdinal: ordinal, source: source.sourceIdentity)
            ordinal += t.changes.count
            let changes = filter.apply(item.changes)
            let outcomes = countOnly ? [] : try sink.apply(changes, checkpoint: nil)
            report.applied += outcomes.filter { $0 == .applied }.count
            report.rows += changes.count
            for c in changes { report.tables.insert(c.qualifiedTable) }
            guard t.isLast else { continue }
            report.transactions += 1
            report.last = t.end
            report.lastGTID = t.gtid ?? ""
            report.seconds = started.seconds
            progress(report)
            if reachedEnd(t) { break }
        }
        report.seconds = started.seconds
        report.peakRSSMB = PeakMemory.megabytes
        return report
    }

    /// The source's next transaction; a purged start becomes `.positionNotOnServer`.
    private func next(_ source: BinlogSource) throws -> SourceTransaction? {
        let result: Result<SourceTransaction?, SourceError>
        do {
            result = .success(try source.next())
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let t): return t
        case .failure(let error):
            if error.code == .purgedBinlog { throw IncidentError(.positionNotOnServer, purgedMessage()) }
            throw error
        }
    }

    private func reachedEnd(_ t: SourceTransaction) -> Bool {
        switch end {
        case nil: return false
        case .position(let p): return t.end >= p
        case .gtid(let g):
            guard let mine = t.gtid.flatMap({ MariaDBGTID(parsing: Substring($0)) }), mine.domain == g.domain else {
                return false
            }
            return mine.sequence >= g.sequence
        }
    }

    private func purgedMessage() -> String {
        var earliest = "unknown (SHOW BINARY LOGS failed)"
        if let connection = try? MySQLConnection(endpoint), let first = try? LagTracker.binaryLogs(on: connection).first
        {
            earliest = "\(first.name):4"
            if let gtid = try? connection.query("SELECT BINLOG_GTID_POS(\(SourceTable.literal(first.name)), 4) AS g")
                .value("g"), !gtid.isEmpty
            {
                earliest += " (GTID position \(gtid))"
            }
        }
        return "resync from \(from) refused: that binlog is no longer on the server (purged); the earliest binlog "
            + "still there starts at \(earliest). Changes before it can't be replayed: reload the cluster with "
            + "`sluice snapshot --config FILE --cluster \(sink.name)` (docs/resync.md), or resync from \(earliest) or later"
    }
}
