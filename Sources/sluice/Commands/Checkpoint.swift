import Foundation
import Ops
import Replication

enum CheckpointShowCommand {
    static let command = Command(
        "checkpoint show",
        abstract: "Show every sink's checkpoint",
        discussion: """
            One line per sink `sluice run` keeps: each [redis.NAME] that is not the DR cluster,
            and `kafka` (kept in the daemon's cluster) when Kafka is on: the binlog position and
            GTID position of the last transaction it acknowledged, its commit time, and the
            server it was read from (a position means something only there: docs/failover.md).
            """,
        flags: [.config, .boolean("json", help: "print one JSON object")]
    ) { invocation in
        let config = try invocation.loadConfig()
        var rows: [[String: Any]] = []
        var lines: [String] = []
        var failed = false
        for sink in CheckpointEditor.sinks(config) {
            do {
                let c = try CheckpointEditor.store(sink).load(sink: sink.name)
                rows.append([
                    "sink": sink.name, "cluster": sink.cluster.name, "file": c?.position.file ?? "",
                    "pos": c?.position.offset ?? 0, "gtid": c?.gtidText ?? "", "time": c?.commitTime ?? 0,
                    "mysql_gtid": c?.mysqlGTIDText ?? "", "server_id": c?.source.map { Int($0.serverID) } ?? 0,
                    "server_uuid": c?.source?.serverUUID ?? "", "flavor": c?.source?.flavor ?? "",
                ])
                lines.append(
                    "\(sink.name) (in redis.\(sink.cluster.name)): "
                        + (c.map {
                            "\($0.position) gtid \($0.gtid.map { "\($0)" } ?? "-")"
                                + ($0.mysqlGTID.map { " mysql gtid \($0)" } ?? "")
                                + " commit time \($0.commitTime), read from \($0.source.map { "\($0)" } ?? "an unnamed server")"
                        } ?? "no checkpoint"))
            } catch {
                failed = true
                rows.append(["sink": sink.name, "cluster": sink.cluster.name, "error": "\(error)"])
                lines.append("\(sink.name) (in redis.\(sink.cluster.name)): UNKNOWN: \(error)")
            }
        }
        if invocation.arguments.flag("json") {
            let data = try JSONSerialization.data(withJSONObject: ["sinks": rows], options: [.sortedKeys])
            invocation.console.out(String(decoding: data, as: UTF8.self))
        } else {
            for line in lines { invocation.console.out(line) }
        }
        return failed ? .failure : .success
    }
}

enum CheckpointSetCommand {
    static let command = Command(
        "checkpoint set",
        abstract: "Move one sink's checkpoint to a binlog position or GTID",
        discussion: """
            --position FILE:POS (its GTID position is read from the source) or a MariaDB GTID
            position (its place in the binlog is found on the source). A position the source
            does not have is refused (exit 2) unless --force. One log line names who moved
            which checkpoint from where to where. Stop `sluice run` first: a running daemon
            writes its own checkpoint over this one. docs/resync.md.
            """,
        flags: [
            .config,
            .value("sink", placeholder: "NAME", help: "the sink (a [redis.NAME] or kafka)"),
            .value("position", placeholder: "FILE:POS|GTID", help: "where the sink resumes"),
            .boolean("force", help: "set a FILE:POS the source does not have"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let a = invocation.arguments
        guard let name = a.value("sink") else { throw UsageError("--sink NAME is required") }
        guard let text = a.value("position") else { throw UsageError("--position FILE:POS|GTID is required") }
        let sink = try CheckpointEditor.sink(config, named: name)
        let target = try CheckpointEditor.checkpoint(
            text, on: try IncidentTarget.source(config), force: a.flag("force"))
        let store = try CheckpointEditor.store(sink)
        let before = try store.load(sink: name)
        try store.store(target, sink: name)
        let logger = Logger.standardError(level: config.log.level, format: config.log.format)
        let from = before.map { "\($0.position) (gtid \($0.gtidText))" } ?? "none"
        logger.warning(
            "checkpoint of \(name) moved from \(from) to \(target.position) (gtid \(target.gtidText)) by "
                + CheckpointEditor.operatorName(invocation.environment) + (a.flag("force") ? " with --force" : ""),
            ["sink": .string(name)])
        invocation.console.out("\(name): \(target.position) gtid \(target.gtid.map { "\($0)" } ?? "-")")
        return .success
    }
}
