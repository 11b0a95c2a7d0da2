import Foundation
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import Timekeeping

enum BenchE2ECommand {
    static let command = Command(
        "bench e2e",
        abstract: "Measure end-to-end lag (MySQL commit to Redis key visible) under a paced transfer workload",
        discussion: """
            Starts the local sandbox (as sluice demo does), runs the daemon in this process, and
            drives 2-row transfer transactions (debit one account, credit another, each
            version = version + 1) at --tps from several connections. Every rate/samples-th
            transaction is sampled; a watcher reads the sampled accounts' version keys from Redis
            every --poll-ms and records the time from COMMIT returning to both keys showing the
            transaction's versions. Before the daemon starts, the same load runs for --seconds at
            --tps (--max-tps with --find-max) with no daemon and no watcher: the source's own
            ceiling (source_ceiling_tps, and tps_to_source_ceiling), so the daemon's cost to the
            database shows as a ratio. A status line per second; the last line is a JSON object.
            --find-max steps the rate up from --start by --step until p99 lag exceeds --limit-ms or
            the achieved rate falls below 95% of the target, a row per step.
            """,
        flags: [
            .value("tps", placeholder: "N", help: "target transactions per second", default: "5000"),
            .value(
                "seconds", placeholder: "N", help: "how long the load runs (per step with --find-max)", default: "10"),
            .value("connections", placeholder: "N", help: "MySQL connections driving the load", default: "16"),
            .value("accounts", placeholder: "N", help: "accounts in the payments table", default: "10000"),
            .value("samples", placeholder: "N", help: "sampled transactions per second", default: "500"),
            .value("poll-ms", placeholder: "MS", help: "the watcher's polling interval", default: "1"),
            .boolean("find-max", help: "step the rate up to the highest one sustained"),
            .value("start", placeholder: "N", help: "--find-max: first rate", default: "1000"),
            .value("step", placeholder: "N", help: "--find-max: rate increment", default: "1000"),
            .value("max-tps", placeholder: "N", help: "--find-max: highest rate tried", default: "50000"),
            .value("limit-ms", placeholder: "MS", help: "--find-max: p99 lag limit", default: "100"),
            .value(
                "source-durability", placeholder: "durable|relaxed",
                help: "durable: sync_binlog=1, innodb_flush_log_at_trx_commit=1 (what sluice run requires); "
                    + "relaxed: 0 and 2, so the source's fsyncs do not cap the rate (the daemon's checks are turned off)",
                default: "durable"),
        ]
    ) { invocation in
        try run(invocation)
    }

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let options = try Options(invocation.arguments)
        let out = invocation.console
        out.out("starting the sandbox (MariaDB, two Redis clusters, Tansu)...")
        let sandbox = try FullSandbox()
        defer { sandbox.close() }
        out.out(sandbox.summary)
        let setup = try Setup(sandbox: sandbox, options: options, out: out)
        let ceilingTPS = try sourceCeiling(setup.load, options: options, out: out)
        let daemon = DaemonThread(config: setup.config)
        let seeds = sandbox.primary.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        let watcher = VisibilityWatcher(
            client: try RedisClusterClient(topology: .cluster(seeds: seeds)), pollInterval: options.pollMS / 1000)
        defer {
            watcher.stop()
            // The daemon (and its Kafka producer) stops before the sandbox's servers do.
            if let code = daemon.stop(reason: "bench end"), code != 0 { out.err("daemon exited with \(code)") }
        }
        guard initialRowsVisible(watcher, accounts: setup.workload.accounts, daemon: daemon, out: out) else {
            return .failure
        }
        describeLoad(setup, options: options, out: out)
        let checkpoints = CheckpointStore(
            client: try RedisClusterClient(topology: .cluster(seeds: seeds)),
            prefix: setup.config.redis(named: "primary")?.checkpointPrefix ?? "sluice:checkpoint:")
        let db = setup.db
        let bench = E2EBenchmark(
            load: setup.load, watcher: watcher, settings: options.settings, daemonStatus: { daemon.status },
            waitForCatchUp: { waitForCatchUp(db: db, checkpoints: checkpoints, daemon: daemon, out: out) },
            out: { out.out($0) })
        return try measure(bench, options: options, ceilingTPS: ceilingTPS, out: out)
    }

    /// The command's flags; --start, --step and --max-tps are read where they are used.
    struct Options {
        let arguments: ParsedArguments
        let rate: Double
        let seconds: Double
        let connections: Int
        let accounts: Int
        let pollMS: Double
        let settings: E2EBenchmark.Settings

        init(_ a: ParsedArguments) throws {
            arguments = a
            func number(_ name: String) throws -> Double { try Options.number(a, name) }
            rate = try number("tps")
            seconds = try number("seconds")
            connections = Int(try number("connections"))
            accounts = Int(try number("accounts"))
            pollMS = try number("poll-ms")
            settings = E2EBenchmark.Settings(
                samplesPerSecond: try number("samples"), lagLimitMilliseconds: try number("limit-ms"))
        }

        func number(_ name: String) throws -> Double { try Options.number(arguments, name) }

        static func number(_ a: ParsedArguments, _ name: String) throws -> Double {
            guard let v = a.value(name).flatMap({ Double($0) }), v > 0 else {
                throw UsageError("--\(name) must be a positive number")
            }
            return v
        }

        var findMax: Bool { arguments.flag("find-max") }
    }

    /// The payments table, the topic, the source's durability and the daemon's configuration.
    struct Setup {
        let db: MySQLConnection
        let workload: PaymentsWorkload
        let config: SluiceConfig
        let load: TransferLoad

        init(sandbox: FullSandbox, options: Options, out: Console) throws {
            db = try sandbox.mariadb.connect()
            workload = PaymentsWorkload(accounts: options.accounts)
            try workload.create(on: db)
            try sandbox.kafka.createTopic(DemoConfig.topic, partitions: 3)
            var configText = DemoConfig.text(
                mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses,
                kafka: sandbox.kafka.bootstrapServers)
            switch options.arguments.value("source-durability") {
            case "durable": break
            case "relaxed":
                _ = try db.execute("SET GLOBAL sync_binlog = 0")
                _ = try db.execute("SET GLOBAL innodb_flush_log_at_trx_commit = 2")
                configText += "\n\n[source.checks]\nrequire_sync_binlog = false\nrequire_innodb_flush = false\n"
            default: throw UsageError("--source-durability must be durable or relaxed")
            }
            let configPath = sandbox.folder.path + "/bench-e2e.toml"
            try configText.write(toFile: configPath, atomically: true, encoding: .utf8)
            switch SluiceConfig.load(path: configPath, environment: [:]) {
            case .success(let loaded): config = loaded.config
            case .failure(let errors): throw errors
            }
            let settingsRow = try db.query("SELECT @@sync_binlog AS s, @@innodb_flush_log_at_trx_commit AS f")
            out.out(
                "source: sync_binlog=\(settingsRow.value("s") ?? "?"), innodb_flush_log_at_trx_commit=\(settingsRow.value("f") ?? "?")"
            )
            load = try TransferLoad(
                endpoint: sandbox.mariadb.endpoint, workload: workload, connections: options.connections)
        }
    }

    /// The same load with no daemon and no watcher: the source's own transactions/s.
    private static func sourceCeiling(_ load: TransferLoad, options: Options, out: Console) throws -> Double {
        let ceilingRate = options.findMax ? try options.number("max-tps") : options.rate
        out.out(
            "source ceiling: the same load at \(Int(ceilingRate)) transactions/s for \(options.seconds) s, no daemon, no watcher"
        )
        let ceiling = load.run(
            PacedSchedule(rate: ceilingRate, samplesPerSecond: options.settings.samplesPerSecond),
            seconds: options.seconds, watcher: nil)
        if let error = ceiling.error { out.err("source ceiling workload: \(error)") }
        let ceilingTPS = ceiling.window.transactionsPerSecond
        out.out(String(format: "source ceiling: %.1f transactions/s", ceilingTPS))
        return ceilingTPS
    }

    /// The daemon has caught up with the schema and the initial rows when the first and last
    /// accounts are visible at version 1.
    private static func initialRowsVisible(
        _ watcher: VisibilityWatcher, accounts: Int, daemon: DaemonThread, out: Console
    ) -> Bool {
        watcher.watch(
            VisibilityTracker.Sample(
                keys: [.init("account:1", 1), .init("account:\(accounts)", 1)],
                committedAt: VisibilityWatcher.now()))
        guard watcher.settle(timeoutSeconds: 120), watcher.counts.unseen == 0 else {
            out.err("the daemon did not replicate the initial accounts; daemon: \(daemon.status ?? "no status")")
            return false
        }
        return true
    }

    private static func describeLoad(_ setup: Setup, options: Options, out: Console) {
        let samples = Int(options.settings.samplesPerSecond)
        out.out(
            """
            load: 2-row transfers over \(setup.workload.accounts) accounts from \(setup.load.connections) connections, paced open-loop
            lag: from COMMIT returning to both account keys holding the transaction's versions in Redis;
                 about \(samples) transactions/s sampled, evenly spread (every (rate/\(samples))-th one; all below that rate);
                 the watcher polls the waiting keys every \(options.pollMS) ms in one pipelined round (a lag is
                 over-stated by at most one poll interval plus one round trip, never under-stated)
            """)
    }

    /// Waits (up to 120 s) until both sinks' checkpoints reach the source's binlog end.
    private static func waitForCatchUp(
        db: MySQLConnection, checkpoints: CheckpointStore, daemon: DaemonThread, out: Console
    ) {
        let deadline = Deadline(in: 120)
        guard let end = try? db.query("SHOW MASTER STATUS"), let file = end.value("File"),
            let offset = end.value("Position").flatMap({ UInt64($0) })
        else { return out.err("SHOW MASTER STATUS failed; starting without waiting for the daemon") }
        while !checkpoints.allAt(file: file, offset: offset, sinks: ["primary", "kafka"]) {
            if deadline.hasPassed || daemon.exitCode != nil {
                return out.err("the daemon did not catch up to \(file):\(offset); daemon: \(daemon.status ?? "-")")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// One run at --tps, or the --find-max steps; the verdict, the ratio to the source ceiling
    /// and the JSON object.
    private static func measure(_ bench: E2EBenchmark, options: Options, ceilingTPS: Double, out: Console) throws
        -> ExitCode
    {
        let settings = options.settings
        let last: E2EBenchmark.Step
        var extra: [(String, String)] = [
            ("source_durability", QuotedString.quote(options.arguments.value("source-durability") ?? ""))
        ]
        if options.findMax {
            let found = bench.findMax(
                start: try options.number("start"), step: try options.number("step"),
                limit: try options.number("max-tps"), seconds: options.seconds)
            guard let final = found.best ?? found.steps.last else { throw UsageError("--start is above --max-tps") }
            last = final
            extra.append(("max_sustained_tps", String(format: "%.0f", found.best?.target ?? 0)))
            out.out(
                "highest rate sustained (p99 <= \(settings.lagLimitMilliseconds) ms, >= 95% of target): \(found.best.map { "\(Int($0.target)) transactions/s" } ?? "none")"
            )
        } else {
            last = bench.run(rate: options.rate, seconds: options.seconds)
            out.out(
                "\(last.passes(settings) ? "met" : "NOT met"): p99 lag <= \(settings.lagLimitMilliseconds) ms at >= 95% of \(Int(options.rate)) transactions/s"
            )
        }
        let ratio = ceilingTPS > 0 ? last.outcome.window.transactionsPerSecond / ceilingTPS : 0
        out.out(
            String(
                format: "%.1f transactions/s with the daemon = %.2f of the source ceiling (%.1f)",
                last.outcome.window.transactionsPerSecond, ratio, ceilingTPS))
        extra += [
            ("source_ceiling_tps", String(format: "%.1f", ceilingTPS)),
            ("tps_to_source_ceiling", String(format: "%.3f", ratio)),
        ]
        if let error = last.outcome.error { out.err("workload: \(error)") }
        out.out(last.json(extra: extra))
        return last.outcome.error == nil ? .success : .failure
    }
}
