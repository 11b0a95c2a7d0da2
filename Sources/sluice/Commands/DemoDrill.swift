import Foundation
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import Timekeeping

/// `sluice demo --drill`: the region failover drill. Per drill, a sandbox of two regions: the
/// primary region (MariaDB, the daemon as its own `sluice run` process, the primary Redis
/// cluster) and the DR region (a MariaDB replicating the primary semi-synchronously, the DR
/// applier, the DR Redis cluster), with Kafka between them. Under the transfer workload, at a
/// random moment, the whole primary region is killed with SIGKILL; the DR MariaDB is promoted,
/// `sluice failover` runs, and the DR cluster is compared with the promoted MySQL row by row.
enum DemoDrill {
    struct Outcome {
        /// Transfers the primary acknowledged before it died.
        var transactions = 0
        /// Acknowledged transfers the promoted MySQL lacks (semi-sync makes this 0), plus the
        /// transactions `sluice failover` reported the DR cluster lacked after it ran.
        var rpoTransactions = 0
        /// Rows of the promoted MySQL whose key in the DR cluster lacks their last change
        /// (missing, older, another value).
        var rpoRows = 0
        /// Rows whose key in the DR cluster is newer than the promoted MySQL's row after the
        /// failover: 0 when it rewrote every key of the changes ahead (docs/failover.md, "Rows ahead").
        var aheadRows = 0
        /// Keys `sluice failover` rewrote (or deleted) because a change the promoted server lacks
        /// wrote them: the old primary wrote it to its binlog, and the daemon shipped it, before
        /// the semi-synchronous replica had it (never acknowledged to a client).
        var rewrittenKeys = 0
        /// From the start of `sluice failover` to its end (the DR cluster caught up).
        var rtoSeconds = 0.0
        var consistent: Bool { rpoRows == 0 && aheadRows == 0 && rpoTransactions == 0 && failoverExit == 0 }
        var failoverExit: Int32 = -1
        var killedAfter = 0.0
        var replayed = ""

        var json: [String: Any] {
            [
                "transactions": transactions, "rpo_transactions": rpoTransactions, "rpo_rows": rpoRows,
                "ahead_rows": aheadRows, "rewritten_keys": rewrittenKeys,
                "rto_seconds": (rtoSeconds * 100).rounded() / 100, "consistent": consistent,
            ]
        }
    }

    static func run(drills: Int, accounts: Int, out: Console) throws -> ExitCode {
        var outcomes: [Outcome] = []
        for number in 1...drills {
            out.out("drill \(number)/\(drills): starting both regions...")
            let outcome = try drill(accounts: accounts, out: out)
            out.out(
                String(
                    format: "drill %d/%d: %d transfers acknowledged, primary region killed after %.1f s; "
                        + "RPO %d transaction(s), %d row(s); %d key(s) ahead rewritten, %d row(s) still ahead; "
                        + "RTO %.2f s; %@",
                    number, drills, outcome.transactions, outcome.killedAfter, outcome.rpoTransactions,
                    outcome.rpoRows, outcome.rewrittenKeys, outcome.aheadRows, outcome.rtoSeconds,
                    outcome.consistent ? "consistent" : "NOT consistent"))
            outcomes.append(outcome)
        }
        var report: [String: Any] = [
            "drills": outcomes.count,
            "transactions": outcomes.map(\.transactions).reduce(0, +),
            "rpo_transactions": outcomes.map(\.rpoTransactions).max() ?? 0,
            "rpo_rows": outcomes.map(\.rpoRows).max() ?? 0,
            "ahead_rows": outcomes.map(\.aheadRows).max() ?? 0,
            "rewritten_keys": outcomes.map(\.rewrittenKeys).reduce(0, +),
            "rto_seconds": ((outcomes.map(\.rtoSeconds).max() ?? 0) * 100).rounded() / 100,
            "consistent": outcomes.allSatisfy(\.consistent),
        ]
        if outcomes.count > 1 { report["per_drill"] = outcomes.map(\.json) }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        out.out(String(decoding: data, as: UTF8.self))
        return outcomes.allSatisfy(\.consistent) ? .success : .lagging
    }

    /// The two regions of one drill, running.
    private struct Regions {
        let sandbox: FullSandbox
        /// The DR region's MariaDB, a semi-synchronous replica of the primary.
        let replica: MariaDBServer
        let workload: PaymentsWorkload
        let executable: String
        /// `sluice run` of the primary region.
        let daemon: ChildProcess
        /// The DR region's configuration (`sluice failover --config`) and the applier running it.
        let drConfigPath: String
        let drConfig: SluiceConfig
        let applier: DemoDRApplier
    }

    private static func drill(accounts: Int, out: Console) throws -> Outcome {
        var outcome = Outcome()
        let sandbox = try FullSandbox()
        defer { sandbox.close() }
        let regions = try start(sandbox, accounts: accounts)
        let workloadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            if let connection = try? sandbox.mariadb.connect() { regions.workload.run(on: connection) }
            workloadDone.signal()
        }
        // A random moment of the steady state: 0.5-2.5 s after the DR region holds a watermark.
        let began = Stopwatch()
        eventually(timeout: 60, interval: 0.1) { Self.drRow(regions.drConfig)?.watermark != nil }
        Thread.sleep(forTimeInterval: Double.random(in: 0.5...2.5))
        outcome.killedAfter = began.seconds
        sandbox.mariadb.crash()
        regions.daemon.kill9()
        sandbox.folder.forget(regions.daemon)
        for port in sandbox.primary.ports { sandbox.primary.crashNode(port) }
        _ = workloadDone.wait(timeout: .now() + 30)
        outcome.transactions = regions.workload.progress.committed
        out.out(
            "  primary region killed (MariaDB, sluice run, the primary Redis cluster) after \(outcome.transactions) transfers"
        )
        try failOver(regions, &outcome, out: out)
        return outcome
    }

    /// Both regions: the DR MariaDB replicating the primary semi-synchronously, the payments
    /// schema, the primary region's `sluice run` as its own process (so it can be killed with
    /// SIGKILL) holding the `[ha]` lease in the primary cluster, and the DR applier. The DR
    /// region's configuration reaches the DR MariaDB and names the old region's lease, which the
    /// failover takes over when the old cluster is reachable (in the drill it is gone).
    private static func start(_ sandbox: FullSandbox, accounts: Int) throws -> Regions {
        let replica = try MariaDBServer(in: sandbox.folder, ports: PortAllocator(), serverID: 2, name: "dr-mariadb")
        try replica.replicate(from: sandbox.mariadb, semiSync: true)
        let workload = PaymentsWorkload(accounts: accounts)
        try workload.create(on: try sandbox.mariadb.connect())
        try sandbox.kafka.createTopic(DemoConfig.topic, partitions: 3)
        let ha = "\n[ha]\ncluster = \"primary\"\nttl_ms = 2000\n"
        let primaryConfig = sandbox.folder.path + "/primary-region.toml"
        try
            (DemoConfig.text(
                mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses,
                kafka: sandbox.kafka.bootstrapServers,
                logLevel: "notice") + ha + "instance = \"primary-region\"\n").write(
                toFile: primaryConfig, atomically: true, encoding: .utf8)
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let daemon = try sandbox.folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", primaryConfig],
            workingDirectory: sandbox.folder.path, logPath: sandbox.folder.path + "/primary-region.log")
        let drConfigPath = sandbox.folder.path + "/dr-region.toml"
        try
            (DemoConfig.text(
                mariadbPort: replica.port, redis: sandbox.primary.addresses, kafka: sandbox.kafka.bootstrapServers,
                dr: sandbox.dr.addresses, logLevel: "notice") + ha + "instance = \"dr-region\"\n").write(
                toFile: drConfigPath, atomically: true, encoding: .utf8)
        guard case .success(let loaded) = SluiceConfig.load(path: drConfigPath, environment: [:]) else {
            throw UsageError("internal: \(drConfigPath) does not load")
        }
        return Regions(
            sandbox: sandbox, replica: replica, workload: workload, executable: executable, daemon: daemon,
            drConfigPath: drConfigPath, drConfig: loaded.config, applier: DemoDRApplier(config: loaded.config))
    }

    /// The DR MariaDB promoted, `sluice failover` timed (RTO), and the DR cluster compared with
    /// the promoted MySQL before and after it (RPO in rows).
    private static func failOver(_ regions: Regions, _ outcome: inout Outcome, out: Console) throws {
        _ = try regions.replica.promote()
        regions.applier.stop()
        let promoted = try regions.replica.connect()
        let recorded = Int(try promoted.query("SELECT COUNT(*) AS n FROM payments.transfers").value("n") ?? "") ?? 0
        outcome.rpoTransactions = max(0, outcome.transactions - recorded)
        let dr = try RedisClusterClient(
            topology: .cluster(seeds: regions.sandbox.dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let mapping = TableMapping(config: regions.drConfig.mappings[0])
        let before = try ConsistencyCheck(mapping: mapping, mysql: promoted, redis: dr)
        out.out(
            "  before the failover the DR cluster differs from the promoted MySQL in \(before.differences.count) row(s)"
        )

        let folder = regions.sandbox.folder
        let started = Stopwatch()
        let failover = try folder.run(
            service: "sluice-failover", executable: regions.executable,
            arguments: ["failover", "--config", regions.drConfigPath, "--json"], workingDirectory: folder.path,
            logPath: folder.path + "/failover.log", timeout: 120)
        outcome.rtoSeconds = started.seconds
        outcome.failoverExit = failover.status
        let report = Self.lastJSONObject(failover.output)
        outcome.rpoTransactions += report?["rpo_transactions"] as? Int ?? 0
        outcome.rewrittenKeys = (report?["rewritten_keys"] as? Int ?? 0) + (report?["deleted_keys"] as? Int ?? 0)
        outcome.replayed =
            report.map {
                "watermark \(($0["watermark"] as? [String: Any])?["gtid"] as? String ?? "none"), "
                    + "\($0["drained_messages"] as? Int ?? 0) message(s) drained, "
                    + "\($0["replayed_transactions"] as? Int ?? 0) transaction(s) replayed from the promoted binlog up to "
                    + "\($0["promoted_gtid"] as? String ?? "?"); "
                    + "\($0["ahead_transactions"] as? Int ?? 0) transaction(s) ahead of it, "
                    + "\($0["rewritten_keys"] as? Int ?? 0) key(s) rewritten from it"
            } ?? "no report"
        out.out("  sluice failover: " + outcome.replayed)
        if failover.status != 0 { out.err("  sluice failover exited \(failover.status):\n\(failover.output)") }
        let check = try ConsistencyCheck(mapping: mapping, mysql: promoted, redis: dr)
        outcome.rpoRows = check.behindKeys.count
        outcome.aheadRows = check.aheadKeys.count
        out.out("  after it, the DR cluster against the promoted MySQL: " + check.summary)
        if !check.aheadKeys.isEmpty {
            out.out(
                "  \(check.aheadKeys.count) row(s) still newer in the DR cluster than in the promoted MySQL after the "
                    + "failover rewrote the keys of the changes ahead it found (docs/failover.md, \"Rows ahead\")")
        }
    }

    /// The DR applier's `sluice status` row.
    private static func drRow(_ config: SluiceConfig) -> LagStatus.Row? {
        LagStatus.gather(config: config, fetchWaitSeconds: 1).rows.first { $0.name == "dr.\(DemoConfig.drCluster)" }
    }

    /// The last line of `output` that is a JSON object.
    static func lastJSONObject(_ output: String) -> [String: Any]? {
        for line in output.split(separator: "\n").reversed() where line.hasPrefix("{") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                return object
            }
        }
        return nil
    }
}
