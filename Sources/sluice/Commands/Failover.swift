import Foundation
import Ops
import Replication

enum FailoverCommand {
    static let command = Command(
        "failover",
        abstract: "Make the DR region the primary: fence the old one, drain, replay from the watermark",
        discussion: """
            Run with the DR region's configuration ([source]: the promoted DR-region MySQL;
            [dr_apply], [kafka]: the DR cluster and topics; [ha], optional: the old region's
            lease). Fences the old region where reachable (its lease taken over with a new
            fencing token, its fence keys raised), drains the DR applier to the end of the topics,
            reads the DR watermark, replays the promoted server's binlog from the watermark's
            GTID to its end into the DR cluster, rewrites from the promoted server every key
            written by a change it lacks (shipped by the old primary before its replica had it:
            rows ahead), stores the new region's sink checkpoints there
            and writes the new region's `sluice run` configuration (--run-config). Reports RPO
            (transactions of the promoted server the DR cluster still lacks: 0 when the replay
            caught up) and RTO (seconds from the start to the DR cluster caught up); the last
            line is a JSON object. --dry-run fences, applies and writes nothing and says what it
            would replay and rewrite. Exit 0 when RPO is 0 and every key ahead was rewritten, 3
            when not, 1 on a failure, 2 for a bad
            configuration. docs/failover.md.
            """,
        flags: [
            .config,
            .boolean("dry-run", help: "say what would be done and the expected RPO; change nothing"),
            .boolean("json", help: "print only the JSON report"),
            .value("run-config", placeholder: "FILE", help: "where the new region's configuration is written (default: beside --config, .run.toml)"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let path = invocation.arguments.value(Flag.config.name) ?? Flag.config.defaultValue ?? ""
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let runConfig = invocation.arguments.value("run-config")
            ?? ((path as NSString).deletingPathExtension + ".run.toml")
        let json = invocation.arguments.flag("json")
        let logger = Logger.standardError(level: config.log.level, format: config.log.format)
        let failover = RegionFailover(
            config: config, configText: text, runConfigPath: runConfig, dryRun: invocation.arguments.flag("dry-run"),
            logger: logger, say: { line in if !json { invocation.console.out(line) } })
        let report = try failover.run()
        if !json {
            invocation.console.out(
                "RPO: \(report.rpoTransactions) transaction(s)\(report.dryRun ? " expected" : ""); "
                    + "RTO: \(String(format: "%.1f", report.rtoSeconds)) s")
        }
        invocation.console.out(report.json)
        return report.rpoTransactions == 0 && report.ahead.unrepaired.isEmpty ? .success : .lagging
    }
}
