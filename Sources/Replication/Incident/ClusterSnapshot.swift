import Binlog
import Foundation
import MySQLSource
import RedisCluster
import Timekeeping

/// `sluice snapshot`'s engine: every row of the mapped tables, read in one consistent snapshot of
/// the source (`SourceSnapshot`: no lock beyond what MariaDB's consistent read takes), applied
/// chunk by chunk through the sink's version-checked apply (the one `sluice run` uses), then the
/// cluster's checkpoint set to the snapshot's position unless a later one is stored.
///
/// Why no row is missed and none goes back, with `sluice run` writing the same cluster:
/// - A row committed before the snapshot position P is read with its value at P. Written with
///   its version at P, it is refused where the cluster already holds a later version (the
///   daemon applied a change after P first), so nothing goes back.
/// - A change committed after P is in the binlog after P: the daemon applies it (it is at or
///   before P, or past it and so applied it already, or it resumes from the checkpoint, which is
///   P or later), and its version is above the row's version at P, so it wins over the snapshot's
///   write in either order.
/// - Binlog-derived versions: rows read at P carry `seq(P) * 10^9 + 999999999`, where seq(P) is
///   the sequence of the version domain in the GTID position at P (`SourceSnapshot.versionGTID`):
///   every change at or before P has a version at most that, every later change a larger one.
/// - Lost data: a snapshot started after a cluster lost keys reads every row as of P, after the
///   loss; what the daemon applied before the loss was committed before P.
/// - A stop half-way leaves the checkpoint as it was; running the snapshot again loads every row
///   again, the keys written the first time are refused as equal.
/// Keys of rows deleted before P are not removed (the snapshot reads rows, not deletes):
/// `sluice verify` lists such keys.
package final class ClusterSnapshot {
    package struct Options: Sendable {
        package var chunkRows = 5000
        /// Rows applied per second at most; nil: as fast as it goes.
        package var maxRowsPerSecond: Int?
        package init() {}
    }

    package struct Progress: Sendable {
        package var table: String
        package var rows: Int
        package var rowsPerSecond: Double
        /// Seconds left by the tables' estimated row counts; nil when unknown.
        package var eta: Double?
    }

    package struct Report: Sendable {
        package var rows = 0
        package var applied = 0
        package var seconds = 0.0
        package var tables: [String] = []
        package var snapshot = SourceSnapshot(position: BinlogPosition(file: "", offset: 0), gtid: "")
        /// The checkpoint before, and whether the snapshot's position replaced it.
        package var previousCheckpoint: SinkCheckpoint?
        package var checkpointSet = false
        package var peakRSSMB = 0

        package var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }

        /// The last line of `sluice snapshot`: one JSON object.
        package var json: String {
            let obj: [String: Any] = [
                "rows": rows, "seconds": (seconds * 1000).rounded() / 1000,
                "rows_per_s": rowsPerSecond.rounded(), "tables": tables,
                "position": ["file": snapshot.position.file, "pos": snapshot.position.offset, "gtid": snapshot.gtid],
                "checkpoint_set": checkpointSet, "peak_rss_mb": peakRSSMB,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    let sink: RedisSink
    let mappings: [TableMapping]
    let mysql: MySQLConnection
    let options: Options
    let progress: (Progress) -> Void
    let log: (String) -> Void
    /// Monotonic, for the rate, the pacing and the duration.
    let clock: any ServiceClock

    package init(
        sink: RedisSink, mappings: [TableMapping], mysql: MySQLConnection, options: Options = Options(),
        clock: any ServiceClock = SystemClock(), progress: @escaping (Progress) -> Void = { _ in },
        log: @escaping (String) -> Void = { _ in }
    ) {
        self.clock = clock
        self.sink = sink
        self.mappings = mappings
        self.mysql = mysql
        self.options = options
        self.progress = progress
        self.log = log
    }

    package func run() throws -> Report {
        let started = Stopwatch(clock: clock)
        var report = Report()
        let tables = try mappings.map { try SourceTable(database: $0.database, table: $0.table, connection: mysql) }
        report.tables = mappings.map(\.qualifiedTable)
        let estimate = try estimatedRows(tables)
        report.snapshot = try SourceSnapshot.begin(on: mysql)
        defer { SourceSnapshot.end(on: mysql) }
        let snapshot = report.snapshot
        log("snapshot of \(report.tables.joined(separator: ", ")) at \(snapshot.position) (gtid \(snapshot.gtid))")
        var work: [TableChunks] = []
        for (mapping, table) in zip(mappings, tables) {
            var gtid: MariaDBGTID?
            if case .binlog(let domain) = mapping.version { gtid = snapshot.versionGTID(domain: domain) }
            work.append(TableChunks(table: table, chunkRows: options.chunkRows, gtid: gtid))
        }
        let prefetch = ChunkPrefetch(mysql: mysql, tables: work, position: snapshot.position)
        defer { prefetch.finish() }
        while let chunk = try prefetch.next() {
            let outcomes = try sink.apply(chunk.changes, checkpoint: nil)
            report.applied += outcomes.filter { $0 == .applied }.count
            report.rows += chunk.changes.count
            pace(rows: report.rows, since: started)
            let elapsed = started.seconds
            let rate = elapsed > 0 ? Double(report.rows) / elapsed : 0
            progress(
                Progress(
                    table: chunk.table, rows: report.rows, rowsPerSecond: rate,
                    eta: estimate > report.rows && rate > 0 ? Double(estimate - report.rows) / rate : nil))
        }
        let store = sink.checkpoints
        report.previousCheckpoint = try store.load(sink: sink.name)
        let target = snapshot.checkpoint
        if report.previousCheckpoint.map({ $0.isBehind(target) }) ?? true {
            try store.store(target, sink: sink.name)
            report.checkpointSet = true
            log(
                "checkpoint of \(sink.name) moved by snapshot from "
                    + "\(report.previousCheckpoint.map { "\($0.position) (gtid \($0.gtidText))" } ?? "none") "
                    + "to \(target.position) (gtid \(target.gtidText))")
        } else if let kept = report.previousCheckpoint {
            log(
                "checkpoint of \(sink.name) kept at \(kept.position) (gtid \(kept.gtidText)), past the snapshot's \(target.position)"
            )
        }
        report.seconds = started.seconds
        report.peakRSSMB = PeakMemory.megabytes
        return report
    }

    /// Sleeps so that `rows` took at least `rows / maxRowsPerSecond` seconds.
    private func pace(rows: Int, since start: Stopwatch) {
        guard let limit = options.maxRowsPerSecond, limit > 0 else { return }
        let due = Double(rows) / Double(limit) - start.seconds
        if due > 0 { Thread.sleep(forTimeInterval: due) }
    }

    /// information_schema's estimate of the rows (for the ETA only).
    private func estimatedRows(_ tables: [SourceTable]) throws -> Int {
        var total = 0
        for t in tables {
            let r = try mysql.query(
                "SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    + "\(SourceTable.literal(t.database)) AND TABLE_NAME = \(SourceTable.literal(t.table))")
            total += Int(r.value("n") ?? "") ?? 0
        }
        return total
    }
}

/// The process's peak resident set (getrusage), in MB.
package enum PeakMemory {
    package static var megabytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss / 1024)
    }
}
