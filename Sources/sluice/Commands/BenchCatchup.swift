import BinlogCompression
import Foundation
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import Timekeeping

enum BenchCatchupCommand {
    static let ceilingTopic = "sluice.bench.ceiling"

    static let command = Command(
        "bench catchup",
        abstract: "Measure how fast sluice run drains a binlog backlog into Redis Cluster and Kafka",
        discussion: """
            Starts MariaDB, a 3-master Redis Cluster and Tansu on loopback. With no daemon running,
            writes a backlog of about --rows row changes to payments.accounts in 1,000-row
            transactions (inserts, 1.00 transfers as UPDATEs, deletes). Then starts this binary's
            `sluice run` and measures the time until the Redis and Kafka checkpoints both reach
            SHOW MASTER STATUS, and the daemon's peak RSS (VmHWM). In the same run, the ceilings:
            the binlog decoded on one thread, the same keys and fields as pipelined HSETs on the
            same cluster, and the daemon's messages read back and produced again with the same
            producer settings to the same broker. The last line is a JSON object: rows, seconds,
            rows_per_s, decode_rows_per_s, redis_hset_rows_per_s, kafka_produce_rows_per_s,
            peak_rss_mb, daemon_cpu_s and daemon_cpu_us_per_row (the daemon's CPU time until it
            caught up: the figure that does not depend on what else the machine runs). --single-transaction writes the whole backlog as one transaction instead
            (the same row changes): the daemon streams it to the sinks in chunks, so its peak RSS
            shows that memory is bounded whatever the transaction size.
            """,
        flags: [
            .value(
                "rows", placeholder: "N", help: "row changes in the backlog (rounded up to 1,000s)", default: "1000000"),
            .boolean("single-transaction", help: "write the whole backlog as one transaction"),
        ]
    ) { invocation in
        let report = try run(
            rows: try VerifyCommand.positive(invocation.arguments, "rows"),
            singleTransaction: invocation.arguments.flag("single-transaction"), out: invocation.console)
        invocation.console.out(report.json)
        return .success
    }

    static func run(rows: Int, singleTransaction: Bool = false, out: Console) throws -> CatchupBenchmark.Report {
        let folder = try SandboxFolder(label: "bench-catchup")
        defer { folder.close() }
        let services = try Services(in: folder)
        let firstFile = try end(of: services.mysql).file
        let backlog = CatchupBacklog(rows: rows)
        let target = try write(backlog, singleTransaction: singleTransaction, into: services.mysql, out: out)
        let configPath = folder.path + "/bench-catchup.toml"
        let config = try writeConfig(to: configPath, services: services)
        let seeds = services.cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        let redis = try RedisClusterClient(topology: .cluster(seeds: seeds))
        let checkpoints = CheckpointStore(
            client: redis, prefix: config.redis(named: "primary")?.checkpointPrefix ?? "sluice:checkpoint:")
        let daemon = try catchUp(
            folder: folder, configPath: configPath, backlog: backlog, target: target, checkpoints: checkpoints)
        out.out(
            String(
                format: "sluice run: %d row changes into both sinks in %.2f s = %.0f rows/s, peak RSS %.1f MB, "
                    + "CPU %.2f s = %.2f us per row",
                backlog.rows, daemon.seconds, Double(backlog.rows) / daemon.seconds, daemon.peak, daemon.cpu,
                daemon.cpu * 1e6 / Double(backlog.rows)))
        let ceilings = try measureCeilings(
            services: services, firstFile: firstFile, backlog: backlog, config: config, redis: redis, out: out)
        return CatchupBenchmark.Report(
            rows: backlog.rows, seconds: daemon.seconds, decodeRowsPerSecond: ceilings.decode,
            hsetRowsPerSecond: ceilings.hset, produceRowsPerSecond: ceilings.produce, peakRSSMegabytes: daemon.peak,
            daemonCPUSeconds: daemon.cpu)
    }

    /// MariaDB with the payments schema on a fresh binlog, a 3-master cluster and Tansu with the topics.
    private struct Services {
        let mariadb: MariaDBServer
        let cluster: RedisClusterSandbox
        let kafka: TansuBroker
        let mysql: MySQLConnection

        init(in folder: SandboxFolder) throws {
            let ports = PortAllocator()
            mariadb = try MariaDBServer(in: folder, ports: ports)
            cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "bench", masters: 3)
            kafka = try TansuBroker(in: folder, ports: ports)
            try kafka.createTopic(DemoConfig.topic, partitions: 3)
            try kafka.createTopic(ceilingTopic, partitions: 3)
            mysql = try mariadb.connect()
            for statement in PaymentsWorkload.schema { _ = try mysql.execute(statement) }
            _ = try mysql.execute("FLUSH BINARY LOGS")
        }
    }

    /// Writes the backlog (1,000-row transactions, or one) and returns the binlog end after it.
    private static func write(
        _ backlog: CatchupBacklog, singleTransaction: Bool, into mysql: MySQLConnection, out: Console
    ) throws -> (file: String, offset: UInt64) {
        let loadStarted = Stopwatch()
        let progress = ProgressLine(console: out)
        if singleTransaction { _ = try mysql.execute("BEGIN") }
        for round in 0..<backlog.rounds {
            if !singleTransaction { _ = try mysql.execute("BEGIN") }
            for statement in CatchupBacklog.statements(round: round) { _ = try mysql.execute(statement) }
            if !singleTransaction { _ = try mysql.execute("COMMIT") }
            if round % 50 == 0 { progress.show("backlog: \(round) of \(backlog.rounds) rounds") }
        }
        if singleTransaction { _ = try mysql.execute("COMMIT") }
        progress.clear()
        let target = try end(of: mysql)
        out.out(
            String(
                format: "backlog: %d row changes in %@ written in %.1f s, binlog end %@:%llu",
                backlog.rows, singleTransaction ? "1 transaction" : "\(backlog.rounds) transactions",
                loadStarted.seconds, target.file, target.offset))
        return target
    }

    /// The demo configuration over the sandbox's services, written to `configPath` and loaded.
    private static func writeConfig(to configPath: String, services: Services) throws -> SluiceConfig {
        try DemoConfig.text(
            mariadbPort: services.mariadb.port, redis: services.cluster.addresses,
            kafka: services.kafka.bootstrapServers
        )
        .write(toFile: configPath, atomically: true, encoding: .utf8)
        switch SluiceConfig.load(path: configPath, environment: [:]) {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw errors
        }
    }

    /// Runs this binary's `sluice run` until both checkpoints reach `target`: its time, peak RSS
    /// (MB) and CPU seconds.
    private static func catchUp(
        folder: SandboxFolder, configPath: String, backlog: CatchupBacklog, target: (file: String, offset: UInt64),
        checkpoints: CheckpointStore
    ) throws -> (seconds: Double, peak: Double, cpu: Double) {
        let logPath = folder.path + "/sluice-run.log"
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let started = Stopwatch()
        let daemon = try folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", configPath],
            workingDirectory: folder.path, logPath: logPath)
        let limit = 120 + Double(backlog.rows) / 2_000
        while !checkpoints.allAt(file: target.file, offset: target.offset, sinks: ["primary", "kafka"]) {
            let log = { (try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(2_000) ?? "" }
            if let status = daemon.exitStatusIfExited() {
                throw CatchupBenchmark.Failure("sluice run exited (status \(status)) before catching up:\n\(log())")
            }
            if started.seconds >= limit {
                throw CatchupBenchmark.Failure(
                    "sluice run did not reach \(target.file):\(target.offset) in \(Int(limit)) s:\n\(log())"
                )
            }
            usleep(10_000)
        }
        let seconds = started.seconds
        let peak = ProcessMemory.peakMegabytes(pid: daemon.pid) ?? 0
        let cpu = ProcessMemory.cpuSeconds(pid: daemon.pid) ?? 0
        folder.stop(daemon)
        return (seconds, peak, cpu)
    }

    /// The ceilings of the same run, in rows/s: decoding the binlog on one thread, the same keys as
    /// pipelined HSETs, and the daemon's messages produced again.
    private static func measureCeilings(
        services: Services, firstFile: String, backlog: CatchupBacklog, config: SluiceConfig,
        redis: RedisClusterClient, out: Console
    ) throws -> (decode: Double, hset: Double, produce: Double) {
        let logs = try services.mysql.query("SHOW BINARY LOGS")
        let files = logs.rows.indices.compactMap { logs.value("Log_name", row: $0) }.filter { $0 >= firstFile }
        let decoded = try CatchupBenchmark.decode(
            paths: files.map { services.mariadb.dataDirectory + "/" + $0 }, decompressor: StandardDecompressor())
        guard decoded.rows == backlog.rows else {
            throw CatchupBenchmark.Failure(
                "the binlog holds \(decoded.rows) row changes, the backlog wrote \(backlog.rows)")
        }
        out.out(ceilingLine("decode (one thread)", decoded.rows, decoded.seconds))
        let mapping = TableMapping(config: config.mappings[0])
        let hset = try CatchupBenchmark.hsetCeiling(backlog: backlog, mapping: mapping, redis: redis)
        out.out(ceilingLine("pipelined HSET (same keys and fields)", hset.rows, hset.seconds))
        let produced = try CatchupBenchmark.produceCeiling(
            topic: DemoConfig.topic, partitions: 3, ceilingTopic: ceilingTopic,
            properties: KafkaSink.Settings(config: config.kafka, mappings: config.mappings).properties)
        out.out(ceilingLine("Kafka produce (the daemon's messages again)", produced.messages, produced.seconds))
        func rate(_ r: (Int, Double)) -> Double { r.1 > 0 ? Double(r.0) / r.1 : 0 }
        return (rate(decoded), rate(hset), rate(produced))
    }

    private static func ceilingLine(_ name: String, _ rows: Int, _ seconds: Double) -> String {
        String(
            format: "%@: %d rows in %.2f s = %.0f rows/s", name, rows, seconds, seconds > 0 ? Double(rows) / seconds : 0
        )
    }

    private static func end(of mysql: MySQLConnection) throws -> (file: String, offset: UInt64) {
        let status = try mysql.query("SHOW MASTER STATUS")
        guard let file = status.value("File"), let offset = status.value("Position").flatMap({ UInt64($0) }) else {
            throw CatchupBenchmark.Failure("SHOW MASTER STATUS gave no binlog position (is log_bin on?)")
        }
        return (file, offset)
    }
}
