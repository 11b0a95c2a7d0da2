import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster
import Timekeeping

/// `sluice failover`'s engine: the DR region takes over (docs/failover.md, "Region failover").
/// From the DR region's configuration (`[source]`: the promoted DR-region MySQL; `[dr_apply]` and
/// `[kafka]`: the DR cluster and the topics; `[ha]`, optional: the old region's lease):
///
/// 1. fences the old region where reachable: the lease key is taken over (no TTL) with the next
///    fencing token and the fence keys of its cluster raised to it, so an old daemon still running
///    has every write refused and steps down (guarantee 7);
/// 2. drains the DR applier to the end of the topics (every partition's end fetched, nothing behind);
/// 3. reads the DR watermark: every source transaction up to it is in the DR cluster;
/// 4. replays the promoted server's binlog from the watermark's GTID to its end into the DR cluster
///    (`ClusterResync`: the versioned apply, so what the DR cluster had is refused as stale);
/// 5. rewrites from the promoted server every key written by a change the promoted server lacks
///    (the old primary shipped it before its replica had it: `AheadChanges`), so no key stays
///    ahead of the database it will now follow;
/// 6. stores the new region's checkpoints (sinks `primary` and `kafka`, on the promoted server) in
///    the DR cluster and writes the `sluice run` configuration (`FailoverRunConfig`);
/// 7. reports RPO (transactions of the promoted server's GTID position at the start of the replay
///    that the DR cluster still lacks: 0 when the replay reached it), the rows ahead it rewrote and
///    RTO (seconds from the start to the DR cluster caught up).
///
/// `dryRun`: fences nothing, applies nothing (the binlog is read and counted), writes nothing.
package final class RegionFailover {
    package struct Report: Sendable {
        package var dryRun: Bool
        package var fence = ""
        package var drainedMessages = 0
        package var watermark: DRWatermarkPoint?
        /// The promoted server's GTID position when the replay started, and what the DR cluster
        /// holds after it.
        package var target = ""
        package var covered = ""
        package var replayedTransactions = 0
        package var replayedRows = 0
        package var rpoTransactions = 0
        package var ahead = AheadRepair.Report()
        package var rtoSeconds = 0.0
        package var runConfigPath: String?

        package var json: String {
            func q(_ s: String) -> String { ColumnValue.string(s).jsonText }
            let w = watermark.map {
                "{\"position\":\(q($0.checkpoint.position.description)),\"gtid\":\(q($0.checkpoint.gtidText))}"
            }
            return "{\"dry_run\":\(dryRun),\"fence\":\(q(fence)),\"drained_messages\":\(drainedMessages),"
                + "\"watermark\":\(w ?? "null"),\"promoted_gtid\":\(q(target)),\"dr_gtid\":\(q(covered)),"
                + "\"replayed_transactions\":\(replayedTransactions),\"replayed_rows\":\(replayedRows),"
                + "\"rpo_transactions\":\(rpoTransactions),\"rpo_rows\":\(rpoTransactions == 0 ? "0" : "null"),"
                + "\"ahead_transactions\":\(ahead.transactions),\"ahead_changes\":\(ahead.changes),"
                + "\"rewritten_keys\":\(ahead.rewrittenKeys),\"deleted_keys\":\(ahead.deletedKeys),"
                + "\"unrepaired_keys\":\(ahead.unrepaired.count),"
                + "\"rto_seconds\":\(String(format: "%.3f", rtoSeconds)),\"run_config\":\(runConfigPath.map(q) ?? "null")}"
        }
    }

    let config: SluiceConfig
    let configText: String
    let runConfigPath: String
    let dryRun: Bool
    let logger: Logger
    let say: (String) -> Void
    /// Monotonic for the RTO and the drain deadline; wall for the checkpoints' commit time.
    let clock: any ServiceClock

    /// `configText`: the DR region's configuration file as written (the run config is made from
    /// it); `say`: one line per step for the operator.
    package init(
        config: SluiceConfig, configText: String, runConfigPath: String, dryRun: Bool, logger: Logger,
        clock: any ServiceClock = SystemClock(), say: @escaping (String) -> Void
    ) {
        self.clock = clock
        self.config = config
        self.configText = configText
        self.runConfigPath = runConfigPath
        self.dryRun = dryRun
        self.logger = logger
        self.say = say
    }

    package func run() throws -> Report {
        let started = Stopwatch(clock: clock)
        var report = Report(dryRun: dryRun)
        guard let dr = config.drApply else {
            throw IncidentError(
                .unknownCluster, "the configuration has no [dr_apply] section: no DR region to fail over")
        }
        guard config.source != nil else {
            throw IncidentError(.noSource, "the configuration has no [source] section (the promoted DR-region server)")
        }
        report.fence = fenceOldRegion()
        say(report.fence)
        let (watermark, drained) = try drain(dr)
        report.drainedMessages = drained
        report.watermark = watermark
        guard let watermark, let from = watermark.checkpoint.gtid, !from.gtids.isEmpty
        else {
            throw IncidentError(
                .noWatermark,
                "the DR cluster has no watermark with a MariaDB GTID position (\(watermark?.positionText ?? "none")): "
                    + "where to replay from is unknown. Are the old daemon's markers on ([kafka] watermark_interval_ms) "
                    + "and its source MariaDB with GTIDs? docs/dr.md")
        }
        say("DR watermark: \(watermark.positionText) (drained \(drained) message(s))")

        let promoted = try IncidentTarget.source(config)
        let settings = try ServerSettings.read(from: promoted)
        report.target = try promoted.query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
        let target = MariaDBGTIDPosition(parsing: report.target) ?? MariaDBGTIDPosition()
        let drTarget = try IncidentTarget(config: config, cluster: dr.redisCluster)
        let sink =
            dryRun
            ? RedisSink(
                name: drTarget.cluster, client: try drTarget.client(), mappings: drTarget.mappings,
                settings: RedisSink.Settings(config: drTarget.redis))
            : try drTarget.sink()
        // A watermark past the promoted server (changes it lacks were shipped) replays from where
        // the promoted server's binlog has it.
        let replayed = try replay(from: from.clamped(to: target), target: target, sink: sink, report: &report)
        say(
            (dryRun ? "would replay " : "replayed ")
                + "\(report.replayedTransactions) transaction(s), \(report.replayedRows) row(s) from the promoted server "
                + "(\(watermark.checkpoint.gtidText) to \(report.covered); promoted server at \(report.target))")
        report.ahead = try AheadRepair(
            config: config, topics: dr.topics, partitions: dr.partitions, groupID: dr.groupID, target: drTarget,
            dryRun: dryRun, logger: logger, clock: clock
        ).run(server: promoted, position: target, sink: sink)
        say(report.ahead.line(dryRun: dryRun))
        report.rtoSeconds = started.seconds
        if !dryRun {
            try storeCheckpoints(
                replayed?.last ?? (try? endOfBinlog(promoted)), report: report, settings: settings,
                drTarget: drTarget)
            try writeRunConfig(drCluster: dr.redisCluster)
            report.runConfigPath = runConfigPath
            say("wrote the new region's `sluice run` configuration: \(runConfigPath)")
        }
        return report
    }

    /// Step 4: the promoted server's binlog from `from` to its end into the DR cluster (counted
    /// only, in a dry run); sets what the DR cluster covers and the RPO.
    private func replay(
        from: MariaDBGTIDPosition, target: MariaDBGTIDPosition, sink: RedisSink, report: inout Report
    ) throws -> ClusterResync.Report? {
        guard let sourceConfig = config.source else { return nil }
        var covered = from
        let replay = ClusterResync(
            sink: sink, filter: try TableFilter(config: config.filter), endpoint: MySQLEndpoint(config: sourceConfig),
            serverID: sourceConfig.serverID &+ 1, from: .mariadbGTID(from), to: nil,
            progress: { r in
                if let g = MariaDBGTID(parsing: Substring(r.lastGTID)) { covered.update(g) }
            })
        replay.countOnly = dryRun
        let replayed =
            target.gtids.allSatisfy { g in (from.gtid(domain: g.domain)?.sequence ?? 0) >= g.sequence }
            ? nil : try replay.run()
        report.replayedTransactions = replayed?.transactions ?? 0
        report.replayedRows = replayed?.rows ?? 0
        report.covered = covered.description
        report.rpoTransactions = target.gtids.reduce(0) { sum, g in
            sum + Int(clamping: max(0, Int64(g.sequence) - Int64(covered.gtid(domain: g.domain)?.sequence ?? 0)))
        }
        return replayed
    }

    private func endOfBinlog(_ promoted: MySQLConnection) throws -> BinlogPosition? {
        let rows = try promoted.query("SHOW MASTER STATUS")
        guard let file = rows.value("File"), let offset = rows.value("Position").flatMap(UInt64.init) else {
            return nil
        }
        return BinlogPosition(file: file, offset: offset)
    }

    /// Step 6: the new region's sinks start where the DR cluster stands on the promoted server.
    private func storeCheckpoints(
        _ end: BinlogPosition?, report: Report, settings: ServerSettings, drTarget: IncidentTarget
    ) throws {
        guard let end else { return }
        let checkpoint = SinkCheckpoint(
            position: end, gtid: MariaDBGTIDPosition(parsing: report.covered),
            commitTime: Int64(clock.wallNow().timeIntervalSince1970),
            source: settings.sourceIdentity)
        let store = drTarget.checkpoints(try drTarget.client())
        for name in ["primary", "kafka"] { try store.store(checkpoint, sink: name) }
        say("checkpoints of the new region's sinks primary and kafka: \(end) gtid \(report.covered)")
    }

    private func writeRunConfig(drCluster: String) throws {
        let text = FailoverRunConfig.text(from: configText, drCluster: drCluster)
        let directory = (runConfigPath as NSString).deletingLastPathComponent
        if case .failure(let errors) = SluiceConfig.parse(
            text, file: runConfigPath, directory: directory.isEmpty ? "." : directory,
            environment: ProcessInfo.processInfo.environment)
        {
            throw IncidentError(
                .runConfig, "the new region's configuration would not load (write it by hand): \(errors)")
        }
        try text.write(toFile: runConfigPath, atomically: true, encoding: .utf8)
    }
}
