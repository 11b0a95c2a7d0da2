import Foundation
import Ledger
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import Timekeeping

enum DemoCommand {
    static let command = Command(
        "demo",
        abstract: "Start a local sandbox, send transfers through the ledger, replicate them, check consistency",
        discussion: """
            Starts MariaDB, two Redis clusters and Tansu on loopback, creates the ledger's schema
            (`ledger init`, --accounts accounts), sends transfers through the ledger (XA, the
            fsync'd journal, the write-through to the primary cluster) from --clients threads,
            and runs the daemon (sluice run) and the DR applier (sluice dr-apply), all in this
            process. Prints a status line every second (ledger transfers/s and p99, the daemon's
            checkpoint and lag, the DR lag); after --seconds (or Ctrl-C) waits for both to catch
            up, prints the row-by-row consistency check of MySQL against the primary and the DR
            cluster, the conservation check, what `ledger recover` finds (nothing, after a clean
            run) and the sluice status table. Exit 0 only if all of them pass.
            """,
        flags: [
            .value("seconds", placeholder: "N", help: "how long the workload runs", default: "30"),
            .value("accounts", placeholder: "N", help: "ledger accounts", default: "200"),
            .value("clients", placeholder: "N", help: "threads sending transfers", default: "4"),
            .boolean(
                "drill",
                help: "instead, the region failover drill: kill the primary region, promote the DR MariaDB, "
                    + "sluice failover, compare (docs/failover.md)"),
            .value("drills", placeholder: "N", help: "with --drill: how many drills", default: "1"),
        ]
    ) { invocation in
        try run(invocation)
    }

    /// What `ledger init` gives every account: 1,000.00.
    static let seedBalance: Int64 = 100_000

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let seconds = try invocation.arguments.integer("seconds") ?? 30
        let accounts = try invocation.arguments.integer("accounts") ?? 200
        let clients = try invocation.arguments.integer("clients") ?? 4
        if invocation.arguments.flag("drill") {
            let drills = try invocation.arguments.integer("drills") ?? 1
            guard (1...100).contains(drills), accounts >= 2 else {
                throw UsageError("--drills 1-100 and --accounts >= 2 are required")
            }
            return try DemoDrill.run(drills: drills, accounts: accounts, out: invocation.console)
        }
        guard seconds > 0, accounts >= 2, (1...64).contains(clients) else {
            throw UsageError("--seconds > 0, --accounts >= 2 and --clients 1-64 are required")
        }
        let out = invocation.console
        out.out("starting the sandbox (MariaDB, two Redis clusters, Tansu)...")
        let sandbox = try FullSandbox()
        defer { sandbox.close() }
        out.out(sandbox.summary)
        try sandbox.kafka.createTopic(DemoConfig.topic, partitions: 3)
        let config = try DemoConfig.load(
            mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses, kafka: sandbox.kafka.bootstrapServers,
            dr: sandbox.dr.addresses, path: sandbox.folder.path + "/demo.toml",
            // The sandbox's primary has a replica per master: wait for it, as docs/daemon.md recommends.
            primarySettings: ["wait_replicas = 1"], ledgerJournal: sandbox.folder.path + "/ledger-journal")
        guard let ledgerConfig = config.ledger else { throw UsageError("internal: the demo config has no [ledger]") }
        for line in try LedgerRuntime.initialize(
            config: ledgerConfig, seedAccounts: accounts, seedBalance: Amount(minorUnits: seedBalance, scale: 2),
            currency: "EUR")
        {
            out.out("ledger init: " + line)
        }
        out.out("daemon, DR applier and ledger config: \(sandbox.folder.path)/demo.toml")

        let seeds = sandbox.primary.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        let service = try LedgerRuntime.service(
            config: ledgerConfig,
            redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
            logger: Logger.standardError(level: config.log.level, format: config.log.format))
        let daemon = DemoDaemon(config: config)
        let dr = DemoDRApplier(config: config)
        let workload = DemoLedgerWorkload(service: service, accounts: accounts)
        workload.start(clients: clients)
        showProgress(out: out, seconds: seconds, workload: workload, daemon: daemon, dr: dr)
        workload.stop()

        let db = try sandbox.mariadb.connect()
        let caughtUp = try daemon.waitForCatchUp(db: db, seeds: seeds)
        out.out(caughtUp.line)
        let drCaughtUp = dr.waitForCatchUp(config: config)
        out.out(drCaughtUp.line)
        daemon.stop()
        dr.stop()
        if let failed = dr.result, failed != "0" { out.err("DR applier \(failed)") }
        let checks = try finalChecks(
            config: config, db: db, sandbox: sandbox, service: service, workload: workload, accounts: accounts,
            out: out)
        out.out("\nsluice status --config \(sandbox.folder.path)/demo.toml\n" + LagStatus.gather(config: config).text)
        let allGood = checks && caughtUp.caughtUp && drCaughtUp.caughtUp
        return allGood && daemon.result == "0" && dr.result == "0" ? .success : .failure
    }

    /// One status line a second until `seconds` passed, Ctrl-C, or the daemon stopped.
    private static func showProgress(
        out: Console, seconds: Int, workload: DemoLedgerWorkload, daemon: DemoDaemon, dr: DemoDRApplier
    ) {
        let stop = StopSignals()
        let started = Stopwatch()
        var last = 0
        while started.seconds < Double(seconds), !stop.isStopping, daemon.result == nil {
            Thread.sleep(forTimeInterval: 1)
            let committed = workload.progress.committed
            let latencies = workload.takeSecond()
            out.out(
                String(
                    format: "%5.0f s  %6d transfers  ledger %5d transfers/s %@  %6d rows/s  daemon: %@  %@",
                    started.seconds, committed, committed - last,
                    DemoLedgerWorkload.p99Text(latencies), (committed - last) * DemoLedgerWorkload.rowsPerTransfer,
                    daemon.status, dr.status))
            last = committed
        }
    }

    /// The row-by-row comparison of both clusters with MySQL, the conservation check and what
    /// `ledger recover` finds; prints each and returns whether all passed.
    private static func finalChecks(
        config: SluiceConfig, db: MySQLConnection, sandbox: FullSandbox, service: LedgerService,
        workload: DemoLedgerWorkload, accounts: Int, out: Console
    ) throws -> Bool {
        let progress = workload.progress
        for failure in progress.failures.prefix(10) { out.err("ledger: \(failure)") }
        out.out(
            "\(progress.committed) transfers committed, \(progress.refused) refused (insufficient funds, or a risk rule)"
        )
        let conservation = try workload.conservation(seeded: seedBalance * Int64(accounts))
        out.out(conservation.line)
        let recovery = try LedgerRecovery.run(
            service: service, logger: Logger.standardError(level: config.log.level, format: config.log.format))
        out.out(
            "ledger recover: "
                + (recovery.nothingToDo
                    ? "nothing to do (no transfer in doubt, every write-through done)"
                    : recovery.lines.joined(separator: "; ")))
        let mapping = TableMapping(config: config.mappings[0])
        var consistent = true
        for (name, cluster) in [("primary", sandbox.primary), ("DR", sandbox.dr)] {
            let redis = try RedisClusterClient(
                topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
            let check = try ConsistencyCheck(mapping: mapping, mysql: db, redis: redis)
            out.out("\(name) cluster: " + check.summary)
            consistent = consistent && check.consistent
        }
        return consistent && conservation.conserved && recovery.nothingToDo && progress.failures.isEmpty
    }
}

/// The demo's daemon (`sluice run`) on its own thread of this process, with its status line.
final class DemoDaemon: @unchecked Sendable {
    private let config: SluiceConfig
    private let stopFlag = DemoFlag()
    private let statusLine = DemoFlag()
    private let outcome = DemoFlag()
    private let done = DispatchSemaphore(value: 0)

    init(config: SluiceConfig) {
        self.config = config
        Thread.detachNewThread { [stopFlag, statusLine, outcome, done] in
            let daemon = Daemon(config: config, registry: MetricsRegistry()) {
                Logger.standardError(level: $0, format: config.log.format)
            }
            let code = daemon.run(
                Daemon.Hooks(
                    status: { statusLine.set($0) }, stopSignal: { stopFlag.get() }, reloadConfig: { config }))
            outcome.set(String(code))
            done.signal()
        }
    }

    var status: String { statusLine.get() ?? "starting" }

    /// Nil while it runs, else its exit code.
    var result: String? { outcome.get() }

    /// Waits (up to `timeout` s) until both sinks' checkpoints are at the end of the binlog.
    func waitForCatchUp(db: MySQLConnection, seeds: [RedisEndpoint], timeout: Double = 60) throws -> (
        caughtUp: Bool, line: String
    ) {
        let status = try db.query("SHOW MASTER STATUS")
        let file = status.value("File") ?? ""
        let end = status.value("Position") ?? ""
        let store = CheckpointStore(
            client: try RedisClusterClient(topology: .cluster(seeds: seeds)), prefix: "sluice:checkpoint:")
        func caughtUp() -> Bool { store.allAt(file: file, offset: UInt64(end) ?? 0, sinks: ["primary", "kafka"]) }
        let deadline = Deadline(in: timeout)
        while !caughtUp(), !deadline.hasPassed, result == nil { Thread.sleep(forTimeInterval: 0.1) }
        let reached = caughtUp()
        return (reached, reached ? "daemon caught up to \(file):\(end)" : "daemon did NOT catch up to \(file):\(end)")
    }

    /// Asks it to stop and waits up to `timeout` s.
    func stop(timeout: Double = 20) {
        stopFlag.set("demo end")
        _ = done.wait(timeout: .now() + timeout)
    }
}

/// A text shared between the demo's threads.
final class DemoFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func get() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set(_ v: String) {
        lock.lock()
        value = v
        lock.unlock()
    }
}
