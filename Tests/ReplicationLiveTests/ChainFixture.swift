import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The whole chain as built binaries on one `FullSandbox`: MariaDB with the payments schema,
/// `sluice run` (MariaDB -> primary Redis and Kafka) and `sluice dr-apply` (Kafka -> DR Redis),
/// each a child process with its own copy of `DemoConfig`'s text (same sections, own metrics port).
final class ChainFixture {
    let sandbox: FullSandbox
    let executable: String
    /// The loaded configuration both processes run with (mapping, `[dr_apply]`, for `LagStatus`).
    let config: SluiceConfig
    let runConfigPath: String
    let drConfigPath: String
    let runMetricsPort: Int
    let drMetricsPort: Int
    let workload: PaymentsWorkload
    /// The test's own connection (schema, side statements, checks).
    let db: MySQLConnection

    var folder: SandboxFolder { sandbox.folder }
    var runLogPath: String { folder.path + "/run.log" }
    var drLogPath: String { folder.path + "/dr-apply.log" }

    /// Starts the sandbox (XCTSkip when it cannot), creates the payments schema with `accounts`
    /// accounts and the topic with `partitions` partitions, writes both config files (with
    /// `kafkaSettings` lines added to their `[kafka]` section).
    init(accounts: Int, partitions: Int = 3, kafkaSettings: [String] = []) throws {
        executable = try BuiltBinary.path()
        do {
            sandbox = try FullSandbox()
        } catch {
            throw XCTSkip("sandbox did not start: \(error)")
        }
        do {
            try sandbox.kafka.createTopic(DemoConfig.topic, partitions: partitions)
            let ports = PortAllocator()
            runMetricsPort = try ports.pick()
            drMetricsPort = try ports.pick()
            runConfigPath = sandbox.folder.path + "/run.toml"
            drConfigPath = sandbox.folder.path + "/dr-apply.toml"
            for (path, port) in [(runConfigPath, runMetricsPort), (drConfigPath, drMetricsPort)] {
                try DemoConfig.text(
                    mariadbPort: sandbox.mariadb.port, redis: sandbox.primary.addresses,
                    kafka: sandbox.kafka.bootstrapServers, dr: sandbox.dr.addresses,
                    metricsListen: "127.0.0.1:\(port)", logLevel: "info"
                ).replacingOccurrences(of: "[kafka]\n", with: (["[kafka]"] + kafkaSettings).joined(separator: "\n") + "\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            }
            switch SluiceConfig.load(path: drConfigPath, environment: [:]) {
            case .success(let loaded): config = loaded.config
            case .failure(let errors): throw errors
            }
            db = try sandbox.mariadb.connect()
            workload = PaymentsWorkload(accounts: accounts)
            try workload.create(on: db)
        } catch {
            sandbox.close()
            throw error
        }
    }

    func close() { sandbox.close() }

    func startDaemon() throws -> ChildProcess {
        try folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", runConfigPath],
            workingDirectory: folder.path, logPath: runLogPath)
    }

    func startDRApply() throws -> ChildProcess {
        try folder.start(
            service: "dr-apply", executable: executable, arguments: ["dr-apply", "--config", drConfigPath],
            workingDirectory: folder.path, logPath: drLogPath)
    }

    /// SIGTERM to the applier and the daemon; both must exit 0.
    func stopAndExpectExitZero(
        applier: ChildProcess, daemon: ChildProcess, file: StaticString = #filePath, line: UInt = #line
    ) {
        for (child, logPath, grace) in [(applier, drLogPath, 10.0), (daemon, runLogPath, 15.0)] {
            child.stop(grace: grace)
            folder.forget(child)
            XCTAssertEqual(child.exitStatusIfExited(), 0, LogFile.tail(logPath), file: file, line: line)
        }
    }

    func client(_ cluster: RedisClusterSandbox) throws -> RedisClusterClient {
        try RedisClusterClient(
            topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
    }

    /// The accounts mapping as both processes load it.
    var mapping: TableMapping { TableMapping(config: config.mappings[0]) }

    /// Waits until both of the daemon's sinks checkpointed the binlog's current end (SHOW MASTER
    /// STATUS, read once now); false after `timeout` s or when `daemon` ended.
    func waitForDaemon(_ daemon: ChildProcess, timeout: Double = 60) throws -> (caughtUp: Bool, end: String) {
        let status = try db.query("SHOW MASTER STATUS")
        let file = status.value("File") ?? ""
        let end = status.value("Position") ?? ""
        let store = CheckpointStore(client: try client(sandbox.primary), prefix: "sluice:checkpoint:")
        func caughtUp() throws -> Bool {
            for sink in ["primary", "kafka"] {
                guard let c = try store.load(sink: sink), c.position.file == file, String(c.position.offset) == end
                else { return false }
            }
            return true
        }
        try eventually(timeout: timeout, interval: 0.1) { try caughtUp() || !daemon.isRunning }
        return (try caughtUp(), "\(file):\(end)")
    }

    /// Checks the DR cluster against MySQL every 0.2 s until it is consistent or `timeout` s
    /// passed; returns the last check and how long it took.
    func waitForDREquality(deletedKeys: [String], timeout: Double = 60) throws -> (
        check: ConsistencyCheck, seconds: Double
    ) {
        let started = Date()
        let dr = try client(sandbox.dr)
        let check = try repeatedly(timeout: timeout, every: 0.2, until: \.consistent) {
            try ConsistencyCheck(mapping: mapping, mysql: db, redis: dr, deletedKeys: deletedKeys)
        }
        return (check, Date().timeIntervalSince(started))
    }

    /// The DR row of `sluice status` (stored offsets against the topic ends, read from the broker).
    func drStatus() -> LagStatus.Row? {
        LagStatus.gather(config: config).rows.first { $0.name == "dr.\(DemoConfig.drCluster)" }
    }

    func drStoredTotal(_ dr: RedisClusterClient) throws -> Int64 {
        try DRKills.storedTotal(dr, key: DROffsets.key(prefix: "sluice:dr:offsets:", cluster: DemoConfig.drCluster))
    }
}

/// `kill -9` of `sluice dr-apply` in the middle of its stream, again and again.
enum DRKills {
    static func storedTotal(_ redis: RedisClusterClient, key: String) throws -> Int64 {
        try DROffsets.load(from: redis, key: key).entries.values.map(\.next).reduce(0, +)
    }

    /// Starts the applier `times` times; each time waits until its stored offsets moved (up to
    /// 15 s), lets it run a random extra moment and kills it with SIGKILL. `between(i)` runs
    /// while each applier starts. Asserts it never exited by itself and that the stored offsets
    /// never moved backwards; returns the stored total after each kill.
    static func run(
        times: Int, start: () throws -> ChildProcess, folder: SandboxFolder, logPath: String,
        storedTotal: () throws -> Int64, upTo total: Int64? = nil, between: (Int) throws -> Void = { _ in },
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> [Int64] {
        var totals: [Int64] = []
        var last: Int64 = -1
        for i in 0..<times {
            let before = try storedTotal()
            let child = try start()
            try between(i)
            try eventually(timeout: 15, interval: 0.05) {
                try storedTotal() != before || !(total.map { before < $0 } ?? true) || !child.isRunning
            }
            XCTAssertTrue(
                child.isRunning, "dr-apply exited by itself: \(LogFile.tail(logPath))", file: file, line: line)
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.3))
            child.kill9()
            folder.forget(child)
            let now = try storedTotal()
            XCTAssertGreaterThanOrEqual(now, last, "stored offsets never move backwards", file: file, line: line)
            last = now
            totals.append(now)
        }
        return totals
    }
}

/// Takes `answer` until `done` holds for one or `timeout` s passed (pausing `every` s between),
/// and returns the last.
func repeatedly<T>(timeout: Double, every: Double, until done: (T) -> Bool, _ answer: () throws -> T) rethrows -> T {
    var last: T?
    try eventually(timeout: timeout, interval: every) {
        let answered = try answer()
        last = answered
        return done(answered)
    }
    return last!  // `eventually` evaluates its condition at least once
}

/// One scrape of a metrics endpoint (with curl, as an operator's Prometheus would).
struct MetricsScrape {
    let text: String

    init(port: Int, folder: SandboxFolder) throws {
        text = try folder.run(
            service: "curl", executable: "/usr/bin/curl", arguments: ["-s", "http://127.0.0.1:\(port)/metrics"],
            workingDirectory: folder.path, logPath: folder.path + "/curl.log", timeout: 10
        ).output
    }

    /// Scrapes until `done` holds for a scrape or `timeout` s passed, and returns the last one:
    /// the daemon samples some metrics once a second and moves its counters just after the
    /// checkpoint a test waits for, so a test waits for the condition, then asserts on that scrape.
    static func awaiting(
        port: Int, folder: SandboxFolder, timeout: Double = 15, until done: (MetricsScrape) -> Bool
    ) throws -> MetricsScrape {
        try repeatedly(timeout: timeout, every: 0.1, until: done) { try MetricsScrape(port: port, folder: folder) }
    }

    /// The value of one series, written exactly as exposed (`name{label="v",...}`).
    func value(_ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.dropFirst(series.count + 1))
        }
    }

    /// The metric names that have at least one sample (a histogram's `_bucket`, `_sum` and
    /// `_count` series count for its name), sorted.
    var sampledNames: [String] {
        let declared = Set(names)
        let sampled = text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#"), let end = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
            let series = String(line[..<end])
            return ["_bucket", "_sum", "_count"].reduce(series) { name, suffix in
                name.hasSuffix(suffix) && declared.contains(String(name.dropLast(suffix.count)))
                    ? String(name.dropLast(suffix.count)) : name
            }
        }
        return Set(sampled).sorted()
    }

    /// The metric names exposed (from the `# TYPE` lines).
    var names: [String] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count >= 3 && parts[0] == "#" && parts[1] == "TYPE" ? String(parts[2]) : nil
        }
    }
}
