import Foundation
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport

enum DemoCommand {
    static let command = Command(
        "demo",
        abstract: "Start a local sandbox, replicate a live payments workload, check consistency",
        discussion: """
            Starts MariaDB, two Redis clusters and Tansu on loopback, creates the payments schema,
            runs the transfer workload, the daemon (sluice run) and the DR applier (sluice dr-apply),
            both in this process, prints a status line every second, and after --seconds (or
            Ctrl-C) waits for both to catch up, prints the row-by-row consistency check of MySQL
            against the primary and the DR cluster, and the sluice status table. Exit 0 only if
            both are consistent.
            """,
        flags: [.value("seconds", placeholder: "N", help: "how long the workload runs", default: "30"),
                .value("accounts", placeholder: "N", help: "accounts in the payments table", default: "200")]
    ) { invocation in
        try run(invocation)
    }

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let seconds = try invocation.arguments.integer("seconds") ?? 30
        let accounts = try invocation.arguments.integer("accounts") ?? 200
        let out = invocation.console
        let stop = StopSignals()
        out.out("starting the sandbox (MariaDB, two Redis clusters, Tansu)...")
        let sandbox = try FullSandbox()
        defer { sandbox.close() }
        out.out(sandbox.summary)

        let db = try sandbox.mariadb.connect()
        let workload = PaymentsWorkload(accounts: accounts)
        try workload.create(on: db)
        try sandbox.kafka.createTopic(DemoConfig.topic, partitions: 3)
        let config = try DemoConfig.load(
            mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses, kafka: sandbox.kafka.bootstrapServers,
            dr: sandbox.dr.addresses, path: sandbox.folder.path + "/demo.toml",
            // The sandbox's primary has a replica per master: wait for it, as docs/daemon.md recommends.
            primarySettings: ["wait_replicas = 1"])
        out.out("daemon and DR applier config: \(sandbox.folder.path)/demo.toml")

        let daemonStop = DemoFlag()
        let daemonStatus = DemoFlag()
        let daemonDone = DispatchSemaphore(value: 0)
        let daemonCode = DemoFlag()
        Thread.detachNewThread {
            let daemon = Daemon(config: config, registry: MetricsRegistry()) {
                Logger.standardError(level: $0, format: config.log.format)
            }
            let code = daemon.run(
                Daemon.Hooks(
                    status: { daemonStatus.set($0) }, stopSignal: { daemonStop.get() },
                    reloadConfig: { config }))
            daemonCode.set(String(code))
            daemonDone.signal()
        }
        let dr = DemoDRApplier(config: config)
        // Lag as a reader of Redis sees it (commit to key visible): every 10th transfer, 1 ms polls.
        let watcher = VisibilityWatcher(
            client: try RedisClusterClient(
                topology: .cluster(seeds: sandbox.primary.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) })))
        defer { watcher.stop() }
        let workloadDone = DispatchSemaphore(value: 0)
        let mariadb = sandbox.mariadb
        Thread.detachNewThread {
            if let connection = try? mariadb.connect() { workload.run(on: connection, sample: watcher.watch) }
            workloadDone.signal()
        }

        let started = Date()
        var last = 0
        while Date().timeIntervalSince(started) < Double(seconds), !stop.isStopping, daemonCode.get() == nil {
            Thread.sleep(forTimeInterval: 1)
            let committed = workload.progress.committed
            // A transfer changes three rows: two accounts and one transfers row.
            out.out(
                String(format: "%5.0f s  %6d transfers  %6d rows/s  Redis lag %@  daemon: %@  %@",
                       Date().timeIntervalSince(started), committed, (committed - last) * 3,
                       LagSummary(milliseconds: watcher.takeFresh()).text, daemonStatus.get() ?? "starting", dr.status))
            last = committed
        }
        workload.stop()
        _ = workloadDone.wait(timeout: .now() + 30)
        if let error = workload.progress.error { out.err("workload: \(error)") }

        // Caught up: both sinks' checkpoints at the end of the binlog.
        let status = try db.query("SHOW MASTER STATUS")
        let file = status.value("File") ?? ""
        let end = status.value("Position") ?? ""
        let redis = try RedisClusterClient(
            topology: .cluster(seeds: sandbox.primary.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let store = CheckpointStore(client: redis, prefix: "sluice:checkpoint:")
        let deadline = Date().addingTimeInterval(60)
        func caughtUp() -> Bool { store.allAt(file: file, offset: UInt64(end) ?? 0, sinks: ["primary", "kafka"]) }
        while !caughtUp(), Date() < deadline, daemonCode.get() == nil { Thread.sleep(forTimeInterval: 0.1) }
        out.out(caughtUp() ? "daemon caught up to \(file):\(end)" : "daemon did NOT catch up to \(file):\(end)")
        // The DR applier caught up: its stored offsets at the topic's end, as sluice status reads them.
        let drCaughtUp = dr.waitForCatchUp(config: config)
        out.out(drCaughtUp.line)
        daemonStop.set("demo end")
        dr.stop()
        _ = daemonDone.wait(timeout: .now() + 20)
        if let failed = dr.result, failed != "0" { out.err("DR applier \(failed)") }

        let mapping = TableMapping(config: config.mappings[0])
        let check = try ConsistencyCheck(mapping: mapping, mysql: db, redis: redis)
        let drRedis = try RedisClusterClient(
            topology: .cluster(seeds: sandbox.dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let drCheck = try ConsistencyCheck(mapping: mapping, mysql: db, redis: drRedis)
        let total = try db.query("SELECT SUM(balance) AS t FROM payments.accounts").value("t") ?? "?"
        out.out("\(workload.progress.committed) transfers; total balance \(total) (expected \(workload.expectedTotal))")
        out.out("primary cluster: " + check.summary)
        out.out("DR cluster: " + drCheck.summary)
        out.out("\nsluice status --config \(sandbox.folder.path)/demo.toml\n" + LagStatus.gather(config: config).text)
        let allGood = check.consistent && drCheck.consistent && caughtUp() && drCaughtUp.caughtUp
        return allGood && daemonCode.get() == "0" && dr.result == "0" ? .success : .failure
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
