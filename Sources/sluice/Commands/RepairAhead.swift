import Foundation
import Ops
import Replication

enum RepairAheadCommand {
    static let command = Command(
        "repair-ahead",
        abstract:
            "After a MySQL primary failover: rewrite keys the promoted server is behind, move the checkpoints onto it",
        discussion: """
            Run with the daemon's configuration, [source] reaching the promoted server, while
            `sluice run` is stopped (it refuses to start when its checkpoint is past the
            server's binlog: the old primary shipped transactions the promoted server never
            received). Reads the ends of the daemon's Kafka topics back to the first change the
            server has, rewrites every key the changes past it wrote from the server's rows
            (deleted, then written again; deleted when the row is gone), and limits each sink
            checkpoint's GTID position to the server's, so the daemon resumes on it by GTID with
            nothing skipped. The last line is a JSON object. --dry-run reads and counts only.
            Exit 0 when done (or nothing was past the binlog), 3 when a key could not be
            rewritten (named), 2 for a bad configuration (no [kafka] sink), 1 on a failure.
            docs/failover.md.
            """,
        flags: [
            .config,
            .boolean("dry-run", help: "find and count the keys and checkpoints; change nothing"),
            .boolean("json", help: "print only the JSON report"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let json = invocation.arguments.flag("json")
        let logger = Logger.standardError(level: config.log.level, format: config.log.format)
        let report = try RepairAhead(
            config: config, dryRun: invocation.arguments.flag("dry-run"), logger: logger,
            say: { line in if !json { invocation.console.out(line) } }
        ).run()
        invocation.console.out(report.json)
        return report.ahead.unrepaired.isEmpty ? .success : .lagging
    }
}
