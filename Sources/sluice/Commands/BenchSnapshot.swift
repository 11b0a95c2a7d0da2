import Foundation
import MySQLSource
import Ops
import RedisCluster
import Replication
import SluiceLab
import TestSupport
import Timekeeping

enum BenchSnapshotCommand {
    static let command = Command(
        "bench snapshot",
        abstract: "Measure sluice snapshot of a 6-column accounts table against pipelined HSET of the same keys",
        discussion: """
            Starts MariaDB and a 3-master Redis Cluster on loopback, creates bench.accounts (id,
            owner, currency, balance DECIMAL, updated_at DATETIME(6), version) with --rows rows,
            runs the snapshot engine in this process (consistent read, chunks of --chunk-rows,
            version-checked apply), then writes the same keys and fields as pipelined HSETs on the
            same cluster (the ceiling: rows read and mapped beforehand, only the Redis time
            counted). The last line is a JSON object: rows, seconds, rows_per_s, peak_rss_mb,
            hset_pipelined_rows_per_s, ratio_to_hset.
            """,
        flags: [
            .value("rows", placeholder: "N", help: "rows in the table", default: "1000000"),
            .value("chunk-rows", placeholder: "N", help: "rows per chunk", default: "5000"),
        ]
    ) { invocation in
        let a = invocation.arguments
        let rows = try VerifyCommand.positive(a, "rows")
        let chunkRows = try VerifyCommand.positive(a, "chunk-rows")
        let out = invocation.console
        let folder = try SandboxFolder(label: "bench-snapshot")
        defer { folder.close() }
        let ports = PortAllocator()
        let mariadb = try MariaDBServer(in: folder, ports: ports)
        let cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "bench", masters: 3)
        let mysql = try mariadb.connect()
        let loadStarted = Stopwatch()
        try SnapshotBenchmark.load(rows: rows, on: mysql)
        out.out(
            String(
                format: "loaded %d rows into %@ in %.1f s", rows, SnapshotBenchmark.table,
                loadStarted.seconds))
        let path = folder.path + "/bench-snapshot.toml"
        try SnapshotBenchmark.config(mariadbPort: mariadb.port, redis: cluster.addresses)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let config: SluiceConfig
        switch SluiceConfig.load(path: path, environment: [:]) {
        case .success(let loaded): config = loaded.config
        case .failure(let errors): throw errors
        }
        let target = try IncidentTarget(config: config, cluster: "primary")
        var options = ClusterSnapshot.Options()
        options.chunkRows = chunkRows
        let progress = ProgressLine(console: out)
        let report = try ClusterSnapshot(
            sink: try target.sink(), mappings: target.mappings, mysql: mysql, options: options,
            progress: { progress.show("\($0.rows) rows, \(Int($0.rowsPerSecond)) rows/s") }
        ).run()
        progress.clear()
        out.out(
            String(
                format: "snapshot: %d rows in %.2f s = %.0f rows/s", report.rows, report.seconds, report.rowsPerSecond))
        let ceiling = try SnapshotBenchmark.hsetCeiling(
            mapping: target.mappings[0], mysql: mysql, redis: try target.client(), chunkRows: chunkRows)
        let hsetRate = ceiling.seconds > 0 ? Double(ceiling.rows) / ceiling.seconds : 0
        out.out(
            String(
                format: "pipelined HSET (ceiling): %d rows in %.2f s of Redis time = %.0f rows/s", ceiling.rows,
                ceiling.seconds, hsetRate))
        let ratio = hsetRate > 0 ? report.rowsPerSecond / hsetRate : 0
        out.out(
            "{\"rows\":\(report.rows),\"seconds\":\(String(format: "%.3f", report.seconds)),"
                + "\"rows_per_s\":\(Int(report.rowsPerSecond)),\"peak_rss_mb\":\(PeakMemory.megabytes),"
                + "\"hset_pipelined_rows_per_s\":\(Int(hsetRate)),\"ratio_to_hset\":\(String(format: "%.3f", ratio))}")
        return .success
    }
}
