import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The built `sluice run` binary streaming a transfer workload into a primary cluster of 3 masters
/// and 3 replicas with `wait_replicas = 1`; one master is killed with SIGKILL mid-stream and its
/// replica takes over. The daemon must see the master change, rewind to the WAIT-confirmed
/// checkpoint and replay; at the end Redis equals MySQL row by row, a watcher reading every
/// account's version throughout never saw one go down, and the log and metrics show the rewind.
final class RedisFailoverProcessTests: XCTestCase {
    private static let accounts = 200

    func testMasterKilledMidStreamRewindsAndConverges() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "redis-failover")
        defer { folder.close() }
        let ports = PortAllocator()
        let services = try Self.start(in: folder, ports: ports)
        let (mariadb, cluster) = (services.mariadb, services.cluster)
        let db = try mariadb.connect()
        let workload = PaymentsWorkload(accounts: Self.accounts)
        try workload.create(on: db)

        // A replica can take over only once it has synced, and CLUSTER SLOTS lists it only then.
        let reader = try RedisClusterClient(
            topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        try eventually(timeout: 20, interval: 0.1) {
            try reader.refreshSlotMap()
            return reader.slotMap.replicas.count == 3 && reader.slotMap.replicas.allSatisfy { !$0.isEmpty }
        }
        XCTAssertTrue(reader.slotMap.replicas.allSatisfy { !$0.isEmpty }, "replicas never synced")

        let metricsPort = try ports.pick()
        let configPath = folder.path + "/run.toml"
        try Self.config(mariadbPort: mariadb.port, redis: cluster.addresses, metricsPort: metricsPort)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let logPath = folder.path + "/run.log"
        let daemon = try folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", configPath],
            workingDirectory: folder.path, logPath: logPath)

        let watcher = VersionWatcher(
            redis: try RedisClusterClient(
                topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }),
                options: RedisOptions(connectTimeout: 0.5, commandTimeout: 1)),
            highestID: { Self.accounts }, readErrorsExpected: true)
        let loadDone = DispatchSemaphore(value: 0)
        Thread {
            if let writer = try? mariadb.connect() { workload.run(on: writer) }
            loadDone.signal()
        }.start()

        // Mid-stream: the daemon's checkpoint has moved and transfers keep coming.
        let store = CheckpointStore(client: reader, prefix: "sluice:checkpoint:")
        eventually(timeout: 20, interval: 0.1) {
            let moved = (try? store.load(sink: "primary"))?.map { $0.position.offset } != nil
            return (moved && workload.progress.committed >= 300) || !daemon.isRunning
        }
        XCTAssertGreaterThanOrEqual(workload.progress.committed, 300, LogFile.tail(logPath))

        // Kill the master holding the daemon's checkpoint: the rewound checkpoint must be
        // stored on its promoted replica.
        let checkpointKey = SinkCheckpoint.key(prefix: "sluice:checkpoint:", sink: "primary")
        let victim = try XCTUnwrap(reader.slotMap.master(forSlot: HashSlot.slot(of: Array(checkpointKey.utf8))))
        let killedAt = Date()
        cluster.crashNode(victim.port)
        let marker = "Redis failover: rewinding"
        var rewindLine: String?
        eventually(timeout: 30, interval: 0.05) {
            rewindLine = LogFile.tail(logPath, lines: 400).split(separator: "\n").first { $0.contains(marker) }
                .map(String.init)
            return rewindLine != nil || !daemon.isRunning
        }
        let detectSeconds = Date().timeIntervalSince(killedAt)
        let line = try XCTUnwrap(rewindLine, "no rewind logged within 30 s: \(LogFile.tail(logPath))")
        // Named as the replica it was; "(new node)" when no look the daemon took listed it (its
        // slot map is loaded at start and on changes, so a replica that joined late is unknown).
        XCTAssertTrue(line.contains("(was a replica) now serves slots") || line.contains("(new node) now serves slots"), line)
        XCTAssertTrue(line.contains("rewind_to=") && line.contains("read_position="), line)
        XCTAssertTrue(line.contains("wait_replicas = 1"), line)

        // The old master comes back as a replica of the new one; the stream goes on a little.
        try cluster.restartNode(victim.port)
        let committedAtRestart = workload.progress.committed
        eventually(timeout: 10, interval: 0.1) { workload.progress.committed >= committedAtRestart + 200 }
        workload.stop()
        loadDone.wait()
        XCTAssertNil(workload.progress.error)

        // Caught up: the checkpoint is at the end of the binlog.
        let status = try db.query("SHOW MASTER STATUS")
        let end = "\(status.value("File") ?? ""):\(status.value("Position") ?? "")"
        var at = ""
        eventually(timeout: 30, interval: 0.1) {
            at = (try? store.load(sink: "primary"))??.position.description ?? ""
            return at == end || !daemon.isRunning
        }
        XCTAssertEqual(at, end, LogFile.tail(logPath))
        let failedReads = watcher.failedReads
        let watched = watcher.stop()
        XCTAssertEqual(watched.regressions, [], "a version went down")
        XCTAssertEqual(watched.keys, Self.accounts)
        let redis = try RedisClusterClient(
            topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        guard case .success(let loaded) = SluiceConfig.load(path: configPath, environment: [:]) else {
            return XCTFail("the test's configuration does not load")
        }
        let mapping = TableMapping(config: try XCTUnwrap(loaded.config.mappings.first))
        let check = try ConsistencyCheck(mapping: mapping, mysql: db, redis: redis)
        XCTAssertTrue(check.consistent, check.summary)
        XCTAssertEqual(check.rowsChecked, Self.accounts)

        let scrape = try MetricsScrape(port: metricsPort, folder: folder)
        let rewinds = scrape.value(#"sluice_rewinds_total{sink="redis.primary"}"#) ?? 0
        XCTAssertGreaterThanOrEqual(rewinds, 1, scrape.text)
        // Replayed rows the new master still had were refused (usually a few, not always any).
        let stale = scrape.value(#"sluice_sink_stale_writes_total{db="payments",sink="redis.primary",table="accounts"}"#)
        // The replay covers binlog: it restarts behind where reading was.
        func offset(_ field: String) -> Int? {
            line.components(separatedBy: " \(field)=bin.").dropFirst().first?.split(separator: " ").first?
                .split(separator: ":").last.flatMap { Int($0) }
        }
        let replayed = (offset("read_position") ?? 0) - (offset("rewind_to") ?? Int.max)
        XCTAssertGreaterThan(replayed, 0, line)
        print(
            "redis failover: rewind logged \(String(format: "%.2f", detectSeconds)) s after the kill, \(Int(rewinds)) rewind(s), "
                + "\(replayed) binlog bytes replayed, \(Int(stale ?? 0)) replayed write(s) refused as stale, "
                + "\(workload.progress.committed) transfers, "
                + "\(watched.reads) version reads in \(watched.sweeps) sweeps (\(failedReads) failed during the failover); \(line)")

        // Once the old master has synced as a replica (a full sync, after Redis' 5 s diskless
        // delay), the daemon's periodic WAIT confirms the last batches: nothing stays in flight.
        try eventually(timeout: 20, interval: 0.2) {
            try cluster.masterPorts().allSatisfy { try cluster.command($0, ["INFO", "replication"]).contains("state=online") }
        }
        Thread.sleep(forTimeInterval: 1.5)
        daemon.stop(grace: 15)
        folder.forget(daemon)
        XCTAssertEqual(daemon.exitStatusIfExited(), 0, LogFile.tail(logPath))
        let stopped = LogFile.tail(logPath).split(separator: "\n").last { $0.contains("sluice run stopped") } ?? ""
        XCTAssertFalse(stopped.contains("unconfirmed_by_replicas"), String(stopped))
    }

    /// MariaDB and the 3+3 cluster. A 1 s node timeout makes the replica take over about 2 s
    /// after its master dies.
    private static func start(in folder: SandboxFolder, ports: PortAllocator) throws -> (
        mariadb: MariaDBServer, cluster: RedisClusterSandbox
    ) {
        do {
            let cluster = try RedisClusterSandbox(
                in: folder, ports: ports, name: "primary", masters: 3, replicasPerMaster: 1,
                nodeTimeoutMilliseconds: 1000)
            return (try MariaDBServer(in: folder, ports: ports), cluster)
        } catch {
            throw XCTSkip("sandbox did not start: \(error)")
        }
    }

    private static func config(mariadbPort: Int, redis: [String], metricsPort: Int) -> String {
        DemoConfig.text(
            mariadbPort: mariadbPort, redis: redis, kafka: nil, metricsListen: "127.0.0.1:\(metricsPort)",
            logLevel: "info",
            primarySettings: ["wait_replicas = 1", "wait_timeout_ms = 200", "command_timeout_ms = 1000"])
    }
}
