import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster

/// `sluice checkpoint show|set`: where each sink's checkpoint is kept, and a position checked
/// against the source before a checkpoint is moved there.
///
/// The sinks are those `sluice run` keeps (`LagStatus` shows the same): one per `[redis.NAME]`
/// that is not the DR cluster, stored in that cluster under its own name, and, with Kafka on,
/// `kafka`, stored in the daemon's cluster (`primary`, else the first).
package enum CheckpointEditor {
    package struct Sink: Sendable, Equatable {
        package var name: String
        /// The `[redis.NAME]` holding its checkpoint.
        package var cluster: RedisConfig
    }

    package static func sinks(_ config: SluiceConfig) -> [Sink] {
        let dr = config.drApply?.redisCluster
        var out = config.redis.filter { $0.name != dr }.map { Sink(name: $0.name, cluster: $0) }
        if config.kafka.enabled,
            let daemon = config.redis(named: "primary") ?? config.redis.first(where: { $0.name != dr })
        {
            out.append(Sink(name: "kafka", cluster: daemon))
        }
        return out
    }

    package static func sink(_ config: SluiceConfig, named name: String) throws(IncidentError) -> Sink {
        let all = sinks(config)
        guard let s = all.first(where: { $0.name == name }) else {
            throw IncidentError(
                .unknownCluster, "no sink '\(name)' (sinks: \(all.map(\.name).joined(separator: ", ")))")
        }
        return s
    }

    package static func store(_ sink: Sink) throws -> CheckpointStore {
        CheckpointStore(
            client: try RedisClusterClient(
                topology: RedisTopology(config: sink.cluster), options: RedisOptions(config: sink.cluster)),
            prefix: sink.cluster.checkpointPrefix)
    }

    /// The checkpoint for `text` (`FILE:POS` or a MariaDB GTID position), with its other half
    /// found on the source: the GTID position at FILE:POS (`BINLOG_GTID_POS`), or the end of the
    /// GTID's transaction in the binlog. A position the source does not have throws
    /// `.positionNotOnServer`, unless `force` (then a FILE:POS is taken as given; a GTID still needs
    /// its place in the binlog).
    /// The checkpoint names the server it was checked against (guarantee 8).
    package static func checkpoint(_ text: String, on mysql: MySQLConnection, force: Bool) throws -> SinkCheckpoint {
        var checkpoint = try located(text, on: mysql, force: force)
        checkpoint.source = try ServerSettings.read(from: mysql).sourceIdentity
        return checkpoint
    }

    private static func located(_ text: String, on mysql: MySQLConnection, force: Bool) throws -> SinkCheckpoint {
        let now = Int64(Date().timeIntervalSince1970)
        switch try ClusterResync.parse(text, flag: "position") {
        case .position(let p):
            do {
                _ = try mysql.query("SHOW BINLOG EVENTS IN \(SourceTable.literal(p.file)) FROM \(p.offset) LIMIT 1")
            } catch {
                if !force {
                    throw IncidentError(
                        .positionNotOnServer,
                        "\(p) is not a position the source has (\(error)); give one from SHOW BINARY LOGS / "
                            + "SHOW BINLOG EVENTS, or --force")
                }
                return SinkCheckpoint(position: p, gtid: nil, commitTime: now)
            }
            let gtid = try mysql.query("SELECT BINLOG_GTID_POS(\(SourceTable.literal(p.file)), \(p.offset)) AS g")
                .value("g")
            return SinkCheckpoint(position: p, gtid: gtid.flatMap { MariaDBGTIDPosition(parsing: $0) }, commitTime: now)
        case .mariadbGTID(let target):
            guard let p = try locate(target, on: mysql) else {
                throw IncidentError(
                    .positionNotOnServer,
                    "GTID position \(target) is not in the binlogs the source has (purged, or not yet written); "
                        + "give FILE:POS with --force to set it anyway")
            }
            return SinkCheckpoint(position: p, gtid: target, commitTime: now)
        default:
            throw IncidentError(.badPosition, "--position \(text): expected FILE:POS or a MariaDB GTID position")
        }
    }

    /// The binlog position right after the transactions of `target` (the start of the next GTID
    /// event, or the file's end), searching the files newest first; nil when not found.
    static func locate(_ target: MariaDBGTIDPosition, on mysql: MySQLConnection) throws -> BinlogPosition? {
        func reached(_ state: String?) -> Bool {
            guard let state = state.flatMap({ MariaDBGTIDPosition(parsing: $0) }) else { return target.gtids.isEmpty }
            return target.gtids.allSatisfy { g in (state.gtid(domain: g.domain)?.sequence ?? 0) >= g.sequence }
        }
        func gtidAt(_ file: String, _ offset: UInt64) throws -> String? {
            try mysql.query("SELECT BINLOG_GTID_POS(\(SourceTable.literal(file)), \(offset)) AS g").value("g")
        }
        let files = try LagTracker.binaryLogs(on: mysql)
        for (index, log) in files.enumerated().reversed() {
            let atStart = try gtidAt(log.name, 4)
            if reached(atStart) {
                // The target's last transaction is in an earlier file (or it is this file's start).
                if index == 0 && !equal(atStart, target) { return nil }
                if equal(atStart, target) { return BinlogPosition(file: log.name, offset: 4) }
                continue
            }
            // In this file, if anywhere: walk its GTID events.
            var from: UInt64 = 4
            while true {
                let page = try mysql.query(
                    "SHOW BINLOG EVENTS IN \(SourceTable.literal(log.name)) FROM \(from) LIMIT 5000")
                for row in page.rows where row[2] == "Gtid" {
                    // Info: `BEGIN GTID 0-1-5` (or `GTID 0-1-5` for DDL): the first transaction past
                    // the target in one of its domains starts where the target's end is.
                    guard let pos = row[1].flatMap({ UInt64($0) }),
                        let word = row[5]?.split(separator: " ").last(where: { $0.contains("-") }),
                        let g = MariaDBGTID(parsing: word),
                        let wanted = target.gtid(domain: g.domain), g.sequence > wanted.sequence
                    else { continue }
                    return exact(log.name, pos, target, gtidAt)
                }
                guard page.rows.count == 5000, let last = page.rows.last?[4].flatMap({ UInt64($0) }) else { break }
                from = last
            }
            if reached(try gtidAt(log.name, log.size)) { return exact(log.name, log.size, target, gtidAt) }
            return nil
        }
        return nil
    }

    /// `file`:`pos` when the GTID position there is exactly `target` (a position covering more
    /// would skip a transaction), else nil.
    private static func exact(
        _ file: String, _ pos: UInt64, _ target: MariaDBGTIDPosition, _ gtidAt: (String, UInt64) throws -> String?
    ) -> BinlogPosition? {
        guard let there = try? gtidAt(file, pos), equal(there, target) else { return nil }
        return BinlogPosition(file: file, offset: pos)
    }

    /// Whether `state` holds exactly `target`'s sequence in each of `target`'s domains.
    private static func equal(_ state: String?, _ target: MariaDBGTIDPosition) -> Bool {
        guard let s = state.flatMap({ MariaDBGTIDPosition(parsing: $0) }) else { return false }
        return target.gtids.allSatisfy { s.gtid(domain: $0.domain)?.sequence == $0.sequence }
    }

    /// Who runs this, for the log line of a moved checkpoint.
    package static func operatorName(_ environment: [String: String]) -> String {
        let user = environment["SUDO_USER"] ?? environment["USER"] ?? "uid \(getuid())"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }
}
