import Binlog
import Foundation
import Kafka
import MySQLSource
import Ops
import RedisCluster
import Timekeeping

/// Rewrites, in one Redis cluster, every key written by a change the (promoted) MySQL server lacks
/// (`AheadChanges`: the old primary wrote it to its binlog, and it was shipped, before the replica
/// had it): the changes are found at the ends of the Kafka topics that carried them, and each key
/// they wrote is deleted with its version key and written again from the server's row (or left
/// deleted when there is no row), whatever version it held. Run only while nothing else writes the
/// cluster (the failover has drained the applier and fenced the old region; `sluice repair-ahead`
/// runs while the daemon is refused); a crash between the delete and the write is repaired by
/// running it again, which finds the same changes. `sluice failover` (the DR cluster) and
/// `sluice repair-ahead` (the daemon's cluster after a MySQL primary failover) use it.
package struct AheadRepair {
    /// What it found and did.
    package struct Report: Sendable, Equatable {
        /// Changes in the topics whose transactions the server lacks, and those transactions.
        package var changes = 0
        package var transactions = 0
        /// Keys those changes wrote: rewritten from the server's row, or deleted (no row).
        package var rewrittenKeys = 0
        package var deletedKeys = 0
        /// Keys that could not be re-read (the key does not split into its mapping's columns, or
        /// the change did not map), with why: the runbook's manual repair applies to them.
        package var unrepaired: [String] = []
        /// Messages read from the ends of the partitions to find them.
        package var messagesRead = 0

        package init() {}

        /// One line for the operator.
        package func line(dryRun: Bool) -> String {
            var line =
                "rows ahead of the promoted server: \(changes) change(s) of \(transactions) transaction(s) "
                + "it lacks (\(messagesRead) message(s) read back from the topic ends); "
                + (dryRun ? "would rewrite " : "rewrote ") + "\(rewrittenKeys) key(s) from its rows, "
                + (dryRun ? "would delete " : "deleted ") + "\(deletedKeys) without a row"
            if !unrepaired.isEmpty {
                line +=
                    "; NOT repaired (docs/failover.md, \"Rows ahead\"): "
                    + unrepaired.prefix(10).joined(separator: "; ")
                    + (unrepaired.count > 10 ? " and \(unrepaired.count - 10) more" : "")
            }
            return line
        }
    }

    /// The first window read back from each partition's end (doubled while all of it is ahead).
    static let window: Int64 = 1_000
    /// How long reading the topics may take.
    static let readSeconds = 120.0

    let config: SluiceConfig
    /// Where the changes are: topics (all partitions, or `partitions`), read under `groupID`.
    let topics: [String]
    let partitions: [Int]
    let groupID: String
    let target: IncidentTarget
    let dryRun: Bool
    let logger: Logger
    /// Monotonic, for the deadline of reading the topics' tails.
    let clock: any ServiceClock

    package init(
        config: SluiceConfig, topics: [String], partitions: [Int] = [], groupID: String, target: IncidentTarget,
        dryRun: Bool, logger: Logger, clock: any ServiceClock = SystemClock()
    ) {
        self.clock = clock
        self.config = config
        self.topics = topics
        self.partitions = partitions
        self.groupID = groupID
        self.target = target
        self.dryRun = dryRun
        self.logger = logger
    }

    /// Finds the changes past `position` (the server's `@@gtid_binlog_pos`) and rewrites their
    /// keys from `server` through `sink` (the cluster's versioned apply); a dry run only counts.
    package func run(server: MySQLConnection, position: MariaDBGTIDPosition, sink: RedisSink) throws -> Report {
        let judge = AheadChanges(promoted: position)
        let ends = try LagStatus.topicEnds(
            config: config, groupID: groupID, topics: topics, partitions: partitions, offsets: DROffsets(),
            waitSeconds: 10)
        var tails = ends.sorted { $0.key < $1.key }.map {
            AheadChanges.Tail(partition: $0.key, end: $0.value, window: Self.window)
        }
        try readTails(&tails, judge: judge)
        let ahead = tails.flatMap(\.ahead)
        var report = Report()
        report.changes = ahead.count
        report.transactions = Set(ahead.compactMap(\.gtid)).count
        report.messagesRead = tails.reduce(0) { $0 + $1.messagesRead }
        var keys: [Int: Set<[UInt8]>] = [:]
        for c in ahead {
            for (i, m) in target.mappings.enumerated() where m.qualifiedTable == c.change.qualifiedTable {
                do {
                    for w in try m.writes(for: c.change) { keys[i, default: []].insert(w.key) }
                } catch {
                    report.unrepaired.append("\(c.place) (\(c.change.qualifiedTable)): \(error)")
                }
            }
        }
        let client = try target.client()
        for (i, set) in keys.sorted(by: { $0.key < $1.key }) {
            try rewrite(
                set.sorted { $0.lexicographicallyPrecedes($1) },
                of: try MappedTable(mapping: target.mappings[i], connection: server),
                promoted: server, client: client, sink: sink, report: &report)
        }
        return report
    }

    /// Deletes `keys` (and their version keys) and writes them again from the rows the promoted
    /// server has for them; a dry run only counts.
    private func rewrite(
        _ keys: [[UInt8]], of table: MappedTable, promoted: MySQLConnection, client: RedisClusterClient,
        sink: RedisSink, report: inout Report
    ) throws {
        var conditions: [String] = []
        var readable: [[UInt8]] = []
        for key in keys {
            let text = String(decoding: key, as: UTF8.self)
            guard let condition = table.condition(forKey: text) else {
                report.unrepaired.append(
                    "\(text) (\(table.mapping.qualifiedTable)): the key does not split into its mapping's columns")
                continue
            }
            conditions.append(condition)
            readable.append(key)
        }
        let snapshot = try SourceSnapshot.begin(on: promoted)
        let rows: [RowChange]
        do {
            var gtid: MariaDBGTID?
            if case .binlog(let domain) = table.mapping.version { gtid = snapshot.versionGTID(domain: domain) }
            rows = try table.rows(where: conditions, at: snapshot.position, gtid: gtid, on: promoted)
            SourceSnapshot.end(on: promoted)
        } catch {
            SourceSnapshot.end(on: promoted)
            throw error
        }
        let present = Set(try rows.map { try table.write(for: $0).key })
        let rewritten = readable.filter { present.contains($0) }.count
        report.rewrittenKeys += rewritten
        report.deletedKeys += readable.count - rewritten
        if dryRun { return }
        for key in readable {
            var del = RedisCommand()
            del.append("DEL")
            del.append(bytes: key)
            del.append(bytes: VersionKey.of(key))
            _ = try client.send(del, key: key)
        }
        _ = try sink.apply(rows, checkpoint: nil)
        logger.notice(
            "keys ahead of the promoted server rewritten",
            ["table": .string(table.mapping.qualifiedTable), "keys": .init(readable.count), "rows": .init(rows.count)])
    }

    /// Reads the tails window by window, every unfinished partition at once, until each found
    /// its boundary.
    private func readTails(_ tails: inout [AheadChanges.Tail], judge: AheadChanges) throws {
        var properties = config.kafka.clientProperties
        properties["group.id"] = groupID
        properties["auto.offset.reset"] = "earliest"
        while case let open = tails.indices.filter({ !tails[$0].finished }), !open.isEmpty {
            // A new consumer per round: nothing prefetched for the previous window reaches this one.
            let consumer = try KafkaConsumer(settings: properties)
            try consumer.assign(
                open.map {
                    KafkaPartitionOffset(
                        topic: tails[$0].partition.topic, partition: tails[$0].partition.partition,
                        offset: tails[$0].start)
                })
            var window: [DROffsets.Partition: [KafkaMessage]] = [:]
            var last: [DROffsets.Partition: Int64] = [:]
            let deadline = Deadline(in: Self.readSeconds, clock: clock)
            func pending() -> [Int] { open.filter { (last[tails[$0].partition] ?? -1) < tails[$0].end - 1 } }
            while !pending().isEmpty {
                guard !deadline.hasPassed else {
                    let names = pending().map { tails[$0].partition.description }.joined(separator: ", ")
                    throw DRError(
                        .kafka, "could not read the ends of \(names) within \(Int(Self.readSeconds)) s",
                        place: "rows ahead")
                }
                for m in try consumer.poll(count: 500, timeoutMilliseconds: 100) {
                    let p = DROffsets.Partition(topic: m.topic, partition: m.partition)
                    last[p] = max(last[p] ?? -1, m.offset)
                    if let t = open.first(where: { tails[$0].partition == p }), m.offset >= tails[t].start,
                        m.offset < tails[t].end
                    {
                        window[p, default: []].append(m)
                    }
                }
            }
            for i in open {
                let messages = window[tails[i].partition] ?? []
                tails[i].take(try messages.compactMap(Self.change), read: messages.count, judge: judge)
            }
        }
    }

    /// The row change a message carries; nil for markers, tombstones and statement records.
    static func change(_ m: KafkaMessage) throws -> DRChange? {
        let headers = m.headers.map { ($0.name, $0.value) }
        if WatermarkMarker.isMarker(headers: headers) || DRChange.isTombstone(value: m.value)
            || DRChange.isSchemaChange(headers: headers)
        {
            return nil
        }
        return try DRChange(topic: m.topic, partition: m.partition, offset: m.offset, value: m.value, headers: headers)
    }
}
