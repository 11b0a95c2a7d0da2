import Foundation
import Ops
import Replication

enum VerifyCommand {
    static let command = Command(
        "verify",
        abstract: "Compare every mapped row in MySQL with its key in one Redis cluster",
        discussion: """
            Reads the tables mapped to --cluster in primary-key chunks, each in a consistent
            snapshot with a known binlog position, and compares each row's key (every mapped
            column and, for version-column mappings, the version), then SCANs every master for
            keys of each mapping's template that have no row (tombstones aside). Safe while
            `sluice run` writes the cluster: a key that differs is re-read and compared again once
            the cluster's checkpoint has passed the position it was read at (up to
            --settle-seconds per round, 3 rounds). Exits 0 when equal, 3 when differences remain
            (the first 20 named: key, column, MySQL value, Redis value), 2 for a bad invocation,
            1 on an error. docs/resync.md.
            """,
        flags: [
            .config,
            .value("cluster", placeholder: "NAME", help: "the [redis.NAME] cluster to check", default: "primary"),
            .value("tables", placeholder: "DB.TABLE,...", help: "only these mapped tables", repeatable: true),
            .value("chunk-rows", placeholder: "N", help: "rows read per chunk", default: "1000"),
            .value(
                "settle-seconds", placeholder: "S",
                help: "how long a re-check waits for the checkpoint to pass the read position", default: "30"),
            .boolean("json", help: "print one JSON object instead of text"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let a = invocation.arguments
        let target = try IncidentTarget(
            config: config, cluster: a.value("cluster") ?? "primary", tables: IncidentTarget.tables(a.values("tables")))
        var options = ClusterVerifier.Options()
        options.chunkRows = try positive(a, "chunk-rows")
        guard let settle = a.value("settle-seconds").flatMap({ Double($0) }), settle >= 0 else {
            throw UsageError("--settle-seconds must be a number of seconds")
        }
        options.settleSeconds = settle
        let mysql = try IncidentTarget.source(config)
        let redis = try target.client()
        let store = target.checkpoints(redis)
        let progress = ProgressLine(console: invocation.console)
        let report = try ClusterVerifier(
            mappings: target.mappings, mysql: mysql, redis: redis, options: options,
            checkpoint: { try store.load(sink: target.cluster) }, progress: { progress.show($0) }
        ).run()
        progress.clear()
        invocation.console.out(
            a.flag("json") ? report.json(cluster: target.cluster) : report.text(cluster: target.cluster))
        return report.equal ? .success : .lagging
    }

    static func positive(_ a: ParsedArguments, _ name: String) throws -> Int {
        guard let n = try a.integer(name), n > 0 else { throw UsageError("--\(name) must be a positive integer") }
        return n
    }
}
