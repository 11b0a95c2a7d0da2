import Foundation
import Ops
import Replication

enum SnapshotCommand {
    static let command = Command(
        "snapshot",
        abstract: "Load every mapped row of MySQL into one Redis cluster, then set its checkpoint",
        discussion: """
            Reads the tables mapped to --cluster (a DR cluster: every mapping) in one consistent
            snapshot of the source (START TRANSACTION WITH CONSISTENT SNAPSHOT; its position from
            binlog_snapshot_file/binlog_snapshot_position and BINLOG_GTID_POS; no lock on the
            source), in primary-key chunks of --chunk-rows, through the version-checked apply
            `sluice run` uses: a key the daemon already moved past the snapshot is left alone, so
            it is safe while `sluice run` runs. Then sets the cluster's checkpoint to the
            snapshot's position unless a later one is stored. A progress line on standard error
            when it is a terminal; the last line on standard output is a JSON object (rows,
            seconds, rows_per_s, tables, position, peak_rss_mb). For the [dr_apply] cluster, the DR
            applier's Kafka offsets of partitions that have none are set to the topic ends read
            before the snapshot opened. docs/resync.md.
            """,
        flags: [
            .config,
            .value("cluster", placeholder: "NAME", help: "the [redis.NAME] cluster to load", default: "primary"),
            .value("tables", placeholder: "DB.TABLE,...", help: "only these mapped tables", repeatable: true),
            .value("chunk-rows", placeholder: "N", help: "rows read and applied per chunk", default: "5000"),
            .value("max-rows-per-s", placeholder: "N", help: "apply at most N rows per second (default: no limit)"),
        ]
    ) { invocation in
        let config = try invocation.loadConfig()
        let a = invocation.arguments
        let target = try IncidentTarget(
            config: config, cluster: a.value("cluster") ?? "primary", tables: IncidentTarget.tables(a.values("tables")))
        var options = ClusterSnapshot.Options()
        options.chunkRows = try VerifyCommand.positive(a, "chunk-rows")
        if a.value("max-rows-per-s") != nil {
            options.maxRowsPerSecond = try VerifyCommand.positive(a, "max-rows-per-s")
        }
        let logger = Logger.standardError(level: config.log.level, format: config.log.format)
        let mysql = try IncidentTarget.source(config)
        let sink = try target.sink()
        // The DR cluster: its applier's offsets are seeded from the topic ends read now (DROffsetSeed).
        let seed = try config.drApply.flatMap { dr in
            target.isDR ? try DROffsetSeed.before(config: config, dr: dr, client: sink.applier.client) : nil
        }
        let progress = ProgressLine(console: invocation.console)
        let report = try ClusterSnapshot(
            sink: sink, mappings: target.mappings, mysql: mysql, options: options,
            progress: { p in
                progress.show(
                    "\(p.table): \(p.rows) rows, \(Int(p.rowsPerSecond)) rows/s"
                        + (p.eta.map { ", ETA \(Int($0.rounded())) s" } ?? ""))
            },
            log: { logger.info($0, ["cluster": .string(target.cluster)]) }
        ).run()
        progress.clear()
        if let seed {
            let seeded = try seed.seed(sink.applier.client, commitTime: report.snapshot.checkpoint.commitTime)
            for (p, offset) in seeded.sorted(by: { $0.key < $1.key }) {
                logger.info(
                    "DR offset of \(p) seeded at \(offset) (the topic's end before the snapshot)",
                    ["cluster": .string(target.cluster)])
            }
        }
        invocation.console.out(report.json)
        return .success
    }
}
