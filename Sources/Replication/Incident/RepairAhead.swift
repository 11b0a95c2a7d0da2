import Binlog
import Foundation
import MySQLSource
import Ops
import Timekeeping

/// `sluice repair-ahead`'s engine, for the daemon's own cluster after a MySQL primary failover:
/// the daemon refuses a checkpoint past the promoted server's binlog (`ResumePlan.pastTheBinlog`).
/// With the daemon's configuration (`[source]` reaching the promoted server) this rewrites the
/// keys of the changes past that binlog, found at the ends of the daemon's own Kafka topics
/// (`AheadRepair`), and limits each sink checkpoint's GTID position to the server's
/// (`MariaDBGTIDPosition.clamped(to:)`), so `sluice run` resumes by GTID on it with nothing
/// skipped. The checkpoints keep naming the old server: resuming on another server is by GTID.
package struct RepairAhead {
    package struct Report: Sendable {
        package var dryRun: Bool
        package var cluster = ""
        /// The server's `@@gtid_binlog_pos`.
        package var serverGTID = ""
        package var ahead = AheadRepair.Report()
        /// Each checkpoint limited to the server: sink, GTID before, after.
        package var checkpoints: [(sink: String, from: String, to: String)] = []

        package var json: String {
            func q(_ s: String) -> String { ColumnValue.string(s).jsonText }
            let moved = checkpoints.map { "{\"sink\":\(q($0.sink)),\"from\":\(q($0.from)),\"to\":\(q($0.to))}" }
            return "{\"dry_run\":\(dryRun),\"cluster\":\(q(cluster)),\"server_gtid\":\(q(serverGTID)),"
                + "\"ahead_transactions\":\(ahead.transactions),\"ahead_changes\":\(ahead.changes),"
                + "\"rewritten_keys\":\(ahead.rewrittenKeys),\"deleted_keys\":\(ahead.deletedKeys),"
                + "\"unrepaired_keys\":\(ahead.unrepaired.count),\"checkpoints\":[\(moved.joined(separator: ","))]}"
        }
    }

    let config: SluiceConfig
    let dryRun: Bool
    let logger: Logger
    let say: (String) -> Void
    let clock: any ServiceClock

    package init(
        config: SluiceConfig, dryRun: Bool, logger: Logger, clock: any ServiceClock = SystemClock(),
        say: @escaping (String) -> Void
    ) {
        self.clock = clock
        self.config = config
        self.dryRun = dryRun
        self.logger = logger
        self.say = say
    }

    package func run() throws -> Report {
        guard config.kafka.enabled else {
            throw IncidentError(
                .noKafka,
                "the configuration has no [kafka] sink: the changes past the server's binlog can't be read back; "
                    + "find the keys with `sluice verify` and reload their tables (docs/failover.md, \"Rows ahead\")")
        }
        // The daemon's cluster, as `sluice run` picks it.
        let cluster = config.redis(named: "primary") != nil ? "primary" : (config.redis.first?.name ?? "primary")
        var report = Report(dryRun: dryRun, cluster: cluster)
        let target = try IncidentTarget(config: config, cluster: cluster)
        let server = try IncidentTarget.source(config)
        let identity = try ServerSettings.read(from: server).sourceIdentity
        report.serverGTID = try server.query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
        let position = MariaDBGTIDPosition(parsing: report.serverGTID) ?? MariaDBGTIDPosition()
        say("[source]: \(identity) at gtid \(report.serverGTID.isEmpty ? "(empty)" : report.serverGTID)")
        let sink =
            dryRun
            ? RedisSink(
                name: target.cluster, client: try target.client(), mappings: target.mappings,
                settings: RedisSink.Settings(config: target.redis))
            : try target.sink()
        let topics = Set(target.mappings.map { config.kafka.topic(database: $0.database, table: $0.table) })
        report.ahead = try AheadRepair(
            config: config, topics: topics.sorted(), groupID: "sluice-repair-ahead", target: target, dryRun: dryRun,
            logger: logger, clock: clock
        ).run(server: server, position: position, sink: sink)
        say(report.ahead.line(dryRun: dryRun))
        let store = target.checkpoints(try target.client())
        for name in [cluster, "kafka"] {
            guard let checkpoint = try store.load(sink: name), let from = checkpoint.gtid,
                ResumePlan.pastTheBinlog(from, binlog: position, server: identity) != nil
            else { continue }
            var limited = checkpoint
            limited.gtid = from.clamped(to: position)
            report.checkpoints.append((name, checkpoint.gtidText, limited.gtidText))
            if !dryRun { try store.store(limited, sink: name) }
            say(
                (dryRun ? "would limit" : "limited")
                    + " the checkpoint of sink \(name): gtid \(checkpoint.gtidText) -> \(limited.gtidText)")
        }
        if report.checkpoints.isEmpty { say("no checkpoint is past the server's binlog") }
        return report
    }
}
