import Binlog
import Foundation
import MySQLSource
import RedisCluster
import Timekeeping

/// `sluice verify`'s engine: every row of the mapped tables against its key in one cluster
/// (each column and the version), and every key of a mapping's template against its row.
///
/// Reading while writes go on: each chunk of rows is read in its own consistent snapshot, whose
/// binlog position P is known (`SourceSnapshot`). A key that differs is a suspect, not yet a
/// difference: the daemon may simply not have applied the change yet, or may already have
/// applied a later one. Each suspect is re-read in a new snapshot at P', then compared again
/// once the cluster's checkpoint is at or past P' (the cluster then holds at least everything
/// up to P'); up to `recheckRounds` times. What still differs is reported. When the checkpoint
/// does not reach P' within `settleSeconds` (no daemon running, or it is stuck), the suspects
/// are compared anyway and the report says the differences may be lag.
package final class ClusterVerifier {
    package struct Options: Sendable {
        package var chunkRows = 1000
        package var settleSeconds = 30.0
        package var recheckRounds = 3
        /// Also look for keys that have no row (SCAN of every master).
        package var extraKeys = true
        package init() {}
    }

    package struct Report: Sendable, Equatable {
        package var rowsChecked = 0
        package var keysScanned = 0
        package var tables: [String] = []
        package var differences: [VerifyDifference] = []
        /// Why the differences may be lag (the checkpoint did not reach the read position).
        package var unsettled: String?
        package var seconds = 0.0

        package var equal: Bool { differences.isEmpty }
    }

    /// A key that differed: where to re-read its row, and what differed last.
    struct Suspect {
        var mapping: Int
        var key: [UInt8]
        /// SQL condition selecting the row(s) that may render `key`.
        var condition: String
        var position: BinlogPosition
        var differences: [VerifyDifference]
    }

    let mappings: [TableMapping]
    let mysql: MySQLConnection
    let redis: RedisClusterClient
    let checkpoint: () throws -> SinkCheckpoint?
    let options: Options
    let progress: (String) -> Void
    /// Monotonic, for the duration and the settle deadline.
    let clock: any ServiceClock
    private var tables: [MappedTable] = []

    package init(
        mappings: [TableMapping], mysql: MySQLConnection, redis: RedisClusterClient, options: Options = Options(),
        clock: any ServiceClock = SystemClock(), checkpoint: @escaping () throws -> SinkCheckpoint?,
        progress: @escaping (String) -> Void = { _ in }
    ) {
        self.clock = clock
        self.mappings = mappings
        self.mysql = mysql
        self.redis = redis
        self.options = options
        self.checkpoint = checkpoint
        self.progress = progress
    }

    package func run() throws -> Report {
        let started = Stopwatch(clock: clock)
        var report = Report()
        tables = try mappings.map { try MappedTable(mapping: $0, connection: mysql) }
        report.tables = mappings.map(\.qualifiedTable)
        var suspects: [Suspect] = []
        for i in mappings.indices {
            suspects += try scanRows(i, report: &report)
            if options.extraKeys { suspects += try scanKeys(i, report: &report) }
        }
        var round = 0
        while !suspects.isEmpty, round < options.recheckRounds {
            round += 1
            progress("re-checking \(suspects.count) key(s), round \(round)")
            var next: [Suspect] = []
            for i in mappings.indices {
                let mine = suspects.filter { $0.mapping == i }
                if mine.isEmpty { continue }
                next += try recheck(i, mine, report: &report)
            }
            suspects = next
        }
        report.differences = suspects.flatMap(\.differences)
        report.seconds = started.seconds
        return report
    }

    // MARK: - The first pass

    private func scanRows(_ i: Int, report: inout Report) throws -> [Suspect] {
        let table = tables[i].table
        var chunks = TableChunks(table: table, chunkRows: options.chunkRows, gtid: gtid(for: mappings[i]))
        var suspects: [Suspect] = []
        while !chunks.finished {
            let snapshot = try SourceSnapshot.begin(on: mysql)
            defer { SourceSnapshot.end(on: mysql) }
            let rows = try chunks.nextRows(on: mysql)
            let writes = try rows.map { try tables[i].write(for: chunks.change($0, position: snapshot.position)) }
            let found = try compare(i, keys: writes.map(\.key), expected: writes)
            for (r, diffs) in found.enumerated() where !diffs.isEmpty {
                suspects.append(
                    Suspect(
                        mapping: i, key: writes[r].key, condition: tables[i].primaryKeyCondition(rows[r]),
                        position: snapshot.position, differences: diffs))
            }
            report.rowsChecked += rows.count
            progress("\(table.qualifiedTable): \(report.rowsChecked) row(s) checked, \(suspects.count) to re-check")
        }
        return suspects
    }

    private func scanKeys(_ i: Int, report: inout Report) throws -> [Suspect] {
        let pattern = KeyPattern(mappings[i].key)
        let others = mappings.indices.filter { $0 != i }.map { KeyPattern(mappings[$0].key) }
        var suspects: [Suspect] = []
        for node in redis.masters {
            var cursor = "0"
            repeat {
                let scan = RedisCommand("SCAN", cursor, "MATCH", pattern.glob, "COUNT", String(options.chunkRows))
                let reply = try redis.connection(to: node).command(scan)
                guard let parts = reply.elements, parts.count == 2, let next = parts[0].text,
                    let keys = parts[1].elements
                else { throw RedisError(.protocolViolation, "SCAN answered \(reply)", node: node.description) }
                cursor = next
                var batch: [(key: String, condition: String)] = []
                for case .bulk(let bytes) in keys {
                    let key = String(decoding: bytes, as: UTF8.self)
                    guard let split = pattern.split(key),
                        !others.contains(where: { $0.literalLength > pattern.literalLength && $0.split(key) != nil }),
                        let condition = tables[i].condition(split)
                    else { continue }
                    batch.append((key, condition))
                }
                report.keysScanned += batch.count
                suspects += try lookUp(i, batch)
            } while cursor != "0"
        }
        return suspects
    }

    /// Keys of `batch` whose row is not found (and that exist): suspects.
    private func lookUp(_ i: Int, _ batch: [(key: String, condition: String)]) throws -> [Suspect] {
        if batch.isEmpty { return [] }
        let snapshot = try SourceSnapshot.begin(on: mysql)
        defer { SourceSnapshot.end(on: mysql) }
        let rendered = try rows(i, where: batch.map(\.condition), at: snapshot.position)
        let missing = batch.filter { rendered[Array($0.key.utf8)] == nil }
        let found = try compare(i, keys: missing.map { Array($0.key.utf8) }, expected: missing.map { _ in nil })
        var out: [Suspect] = []
        for (m, diffs) in zip(missing, found) where !diffs.isEmpty {
            out.append(
                Suspect(
                    mapping: i, key: Array(m.key.utf8), condition: m.condition, position: snapshot.position,
                    differences: diffs))
        }
        return out
    }

    // MARK: - Re-checks

    private func recheck(_ i: Int, _ suspects: [Suspect], report: inout Report) throws -> [Suspect] {
        let snapshot = try SourceSnapshot.begin(on: mysql)
        let rendered: [[UInt8]: VersionedWrite]
        do {
            rendered = try rows(i, where: suspects.map(\.condition), at: snapshot.position)
            SourceSnapshot.end(on: mysql)
        } catch {
            SourceSnapshot.end(on: mysql)
            throw error
        }
        if let why = try settle(at: snapshot.position) { report.unsettled = why }
        let found = try compare(i, keys: suspects.map(\.key), expected: suspects.map { rendered[$0.key] })
        var out: [Suspect] = []
        for (s, diffs) in zip(suspects, found) where !diffs.isEmpty {
            var again = s
            again.position = snapshot.position
            again.differences = diffs
            out.append(again)
        }
        return out
    }

    /// Waits until the cluster's checkpoint is at or past `position`; nil when it is, else why not.
    private func settle(at position: BinlogPosition) throws -> String? {
        let deadline = Deadline(in: options.settleSeconds, clock: clock)
        var last: SinkCheckpoint?
        while true {
            last = try checkpoint()
            if let last, last.position >= position { return nil }
            if deadline.hasPassed { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return "the cluster's checkpoint (\(last.map { "\($0.position)" } ?? "none")) did not reach \(position), "
            + "where the rows were read, within \(Int(options.settleSeconds)) s: differences may be replication lag"
    }

    // MARK: - Helpers

    /// The rows matching any of `conditions`, as their writes by key.
    private func rows(_ i: Int, where conditions: [String], at position: BinlogPosition) throws
        -> [[UInt8]: VersionedWrite]
    {
        var out: [[UInt8]: VersionedWrite] = [:]
        for change in try tables[i].rows(where: conditions, at: position, gtid: gtid(for: mappings[i]), on: mysql) {
            let w = try tables[i].write(for: change)
            out[w.key] = w
        }
        return out
    }

    private func compare(_ i: Int, keys: [[UInt8]], expected: [VersionedWrite?]) throws -> [[VerifyDifference]] {
        var column: String?
        if case .column(let name) = mappings[i].version { column = name }
        return try StoredRows.compare(keys: keys, expected: expected, versionColumn: column, in: redis)
    }

    private func gtid(for mapping: TableMapping) -> MariaDBGTID? {
        if case .binlog(let domain) = mapping.version { return MariaDBGTID(domain: domain, serverID: 0, sequence: 0) }
        return nil
    }
}
