import Foundation
import MySQLSource
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import XCTest

/// The built `sluice run` drains one 300,000-row transaction (wide rows, 30 chunks of 10,000)
/// into Redis and Kafka with its peak RSS (VmHWM) bounded: the source hands a big transaction out
/// in chunks as it reads it, and the sinks' queues hold bytes, not transactions, so the peak does
/// not grow with the transaction.
///
/// Why 300,000 and not 1,000,000 rows: the debug build drains about 6,000 rows/s on the shared
/// 2-core machine, so a million rows took 170 s (peak 214.5 MB, 2026-12-06) against 18 s for
/// 100,000 (peak 191.5 MB); 300,000 rows are 30 chunks, ten times what the two 8 MB queues hold at
/// once (about three chunks each), in 42 s (peak 200.7 MB). The million-row case runs in release as
/// `sluice bench catchup --rows 1000000 --single-transaction` (Benchmarks.md: peak 198.6 MB).
final class BigTransactionMemoryProcessTests: XCTestCase {
    static let rows = 300_000
    /// The daemon's peak with the queues bounded by bytes; bounded by transactions it held every
    /// chunk at once: 292 MB for 100,000 rows against 189 MB (debug build, 2026-12-06).
    static let peakLimitMegabytes = 230.0

    func testA300000RowTransactionDrainsWithinTheMemoryBound() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "big-transaction-memory")
        defer { folder.close() }
        let ports = PortAllocator()
        let mariadb = try MariaDBServer(in: folder, ports: ports)
        let cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "redis", masters: 3)
        let kafka = try TansuBroker(in: folder, ports: ports)
        try kafka.createTopic(DemoConfig.topic, partitions: 3)
        let mysql = try mariadb.connect()
        for statement in PaymentsWorkload.schema { _ = try mysql.execute(statement) }
        let owner = String(repeating: "x", count: 56)
        _ = try mysql.execute("BEGIN")
        for first in stride(from: 1, through: Self.rows, by: 5_000) {
            let values = (first..<first + 5_000).map { "(\($0),'\(owner)-\($0)',100.00,1)" }
            _ = try mysql.execute(
                "INSERT INTO payments.accounts (id, owner, balance, version) VALUES " + values.joined(separator: ","))
        }
        _ = try mysql.execute("COMMIT")
        let end = try mysql.query("SHOW MASTER STATUS")
        let file = try XCTUnwrap(end.value("File"))
        let offset = try XCTUnwrap(end.value("Position").flatMap { UInt64($0) })

        let configPath = folder.path + "/sluice.toml"
        try DemoConfig.text(mariadbPort: mariadb.port, redis: cluster.addresses, kafka: kafka.bootstrapServers)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let logPath = folder.path + "/sluice-run.log"
        let daemon = try folder.start(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", configPath],
            workingDirectory: folder.path, logPath: logPath)
        defer { folder.stop(daemon) }
        let redis = try RedisClusterClient(
            topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let checkpoints = CheckpointStore(client: redis, prefix: "sluice:checkpoint:")
        let drained = eventually(timeout: 600, interval: 0.02) {
            checkpoints.allAt(file: file, offset: offset, sinks: ["primary", "kafka"]) || !daemon.isRunning
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(2_000) ?? ""
        XCTAssertNil(daemon.exitStatusIfExited(), "sluice run exited:\n\(log)")
        guard drained, checkpoints.allAt(file: file, offset: offset, sinks: ["primary", "kafka"]) else {
            return XCTFail("not caught up to \(file):\(offset)\n\(log)")
        }
        let peak = try XCTUnwrap(ProcessMemory.peakMegabytes(pid: daemon.pid))
        let last = try redis.send(RedisCommand("HGET", "account:\(Self.rows)", "owner"), key: "account:\(Self.rows)")
        XCTAssertEqual(last, .bulk(Array("\(owner)-\(Self.rows)".utf8)))
        XCTAssertLessThan(peak, Self.peakLimitMegabytes, "peak RSS of sluice run")
        print("big transaction: \(Self.rows) rows drained, sluice run peak RSS \(String(format: "%.1f", peak)) MB")
    }
}
