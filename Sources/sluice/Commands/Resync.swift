import Foundation
import MySQLSource
import Ops
import Replication

enum ResyncCommand {
    static let command = Command(
        "resync",
        abstract: "Replay a binlog range into one Redis cluster (its checkpoint and other sinks untouched)",
        discussion: """
            Reads the binlog from --from (FILE:POS, or a MariaDB GTID position: the first
            transaction after it) to --to (the transaction ending at or past FILE:POS, or the
            transaction of a GTID; default: the binlog's end now) as a replica of its own
            (--server-id, default [source] server_id + 1: two replicas with one server_id
            disconnect each other), and applies the mapped rows to --cluster through the
            version-checked apply `sluice run` uses, so it is safe while the daemon runs. No
            checkpoint is moved and no other sink is written. A start no longer on the server is
            refused (exit 2) naming the earliest position there and `sluice snapshot`. A progress
            line on standard error when it is a terminal; the last line on standard output is a
            JSON object. docs/resync.md.
            """,
        flags: [
            .config,
            .value("cluster", placeholder: "NAME", help: "the [redis.NAME] cluster to write", default: "primary"),
            .value("from", placeholder: "FILE:POS|GTID", help: "where the replay starts"),
            .value("to", placeholder: "FILE:POS|GTID", help: "where it ends (default: the binlog's end now)"),
            .value("server-id", placeholder: "N", help: "server_id of the replay's replica connection"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let a = invocation.arguments
        let target = try IncidentTarget(config: config, cluster: a.value("cluster") ?? "primary")
        guard let fromText = a.value("from") else { throw UsageError("--from FILE:POS|GTID is required") }
        let from = try ClusterResync.parse(fromText, flag: "from")
        let end = try a.value("to").map { try ClusterResync.end($0) }
        guard let source = config.source else { throw UsageError("the configuration has no [source] section") }
        let serverID = try a.integer("server-id").map { UInt32(clamping: $0) } ?? source.serverID &+ 1
        let sink = try target.sink()
        let progress = ProgressLine(console: invocation.console)
        let report = try ClusterResync(
            sink: sink, filter: try TableFilter(config: config.filter), endpoint: MySQLEndpoint(config: source),
            serverID: serverID, from: from, to: end,
            progress: { r in
                progress.show(
                    "\(r.transactions) transactions, \(r.rows) rows, \(Int(r.seconds > 0 ? Double(r.rows) / r.seconds : 0)) rows/s, at \(r.last.map { "\($0)" } ?? "-")"
                )
            }
        ).run()
        progress.clear()
        invocation.console.out(report.json)
        return .success
    }
}
