import Foundation
import Ops
import RedisCluster
import SluiceLab
import TestSupport

enum BenchRedisApplyCommand {
    static let command = Command(
        "bench redis-apply",
        abstract: "Measure version-checked apply to a Redis Cluster against pipelined HSET and one EVALSHA per row",
        discussion: """
            Writes ROWS row changes (4-field hashes, several versions per key) through the sluice
            function library, grouped per node, many rows per FCALL, nodes in parallel. Then, on the
            same cluster, the same rows as pipelined HSETs with the same streams and batches (the
            ceiling) and a sample as one EVALSHA per row (the naive way), with the masters' and
            sluice's CPU time per phase. Keys are prefixed per run. The last line is a JSON object.
            """,
        flags: [
            .value(
                "seeds", placeholder: "HOST:PORT,...",
                help: "cluster seed nodes (default: start a 3-master cluster on loopback)"),
            .value("rows", placeholder: "N", help: "row changes to apply", default: "1000000"),
            .value("keys", placeholder: "N", help: "distinct keys", default: "100000"),
            .value("batch", placeholder: "N", help: "rows per apply call", default: "30000"),
            .value("rows-per-call", placeholder: "N", help: "rows per FCALL", default: "250"),
            .value("naive-rows", placeholder: "N", help: "rows for the one-EVALSHA-per-row figure", default: "20000"),
            .value("streams", placeholder: "N", help: "parallel apply streams (rows split by slot)", default: "2"),
            .value("user", placeholder: "NAME", help: "ACL user"),
            .value("password", placeholder: "SECRET", help: "ACL password"),
        ]
    ) { invocation in
        let a = invocation.arguments
        var sandbox: SandboxFolder? = nil
        defer { sandbox?.close() }
        let seeds = try seedNodes(a, sandbox: &sandbox, console: invocation.console)
        let settings = try benchSettings(a)
        let client = try RedisClusterClient(
            topology: .cluster(seeds: seeds),
            options: RedisOptions(commandTimeout: 30, username: a.value("user"), password: a.value("password")))
        let bench = ApplyBenchmark(
            client: client, settings: settings, prefix: "bench:\(Int(Date().timeIntervalSince1970)):")
        let r = try bench.run { invocation.console.out($0) }
        report(r, to: invocation.console)
        return .success
    }

    /// The --seeds nodes, or those of a 3-master cluster started in a new sandbox.
    private static func seedNodes(_ a: ParsedArguments, sandbox: inout SandboxFolder?, console: Console) throws
        -> [RedisEndpoint]
    {
        guard let seedText = a.value("seeds") else {
            let folder = try SandboxFolder(label: "bench-redis-apply")
            sandbox = folder
            let cluster = try RedisClusterSandbox(in: folder, ports: PortAllocator(), name: "bench", masters: 3)
            console.out("started a 3-master cluster on ports \(cluster.ports.map(String.init).joined(separator: ", "))")
            return cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        }
        var seeds: [RedisEndpoint] = []
        for s in seedText.split(separator: ",") {
            guard let e = RedisEndpoint(parsing: s) else { throw UsageError("bad seed '\(s)': expected HOST:PORT") }
            seeds.append(e)
        }
        return seeds
    }

    private static func benchSettings(_ a: ParsedArguments) throws -> ApplyBenchmark.Settings {
        func int(_ name: String) throws -> Int {
            guard let v = a.value(name).flatMap({ Int($0) }), v > 0 else {
                throw UsageError("--\(name) must be a positive integer")
            }
            return v
        }
        return ApplyBenchmark.Settings(
            rows: try int("rows"), keys: try int("keys"), batch: try int("batch"),
            rowsPerCall: try int("rows-per-call"), naiveRows: try int("naive-rows"),
            streams: try int("streams"))
    }

    /// The human lines (rates, then CPU per phase), then the JSON object.
    private static func report(_ r: ApplyBenchmark.Report, to console: Console) {
        console.out(
            String(
                format:
                    "version-checked apply: %d rows in %.3f s = %.0f rows/s (applied %d, refused %d; batch p50 %.1f ms, p99 %.1f ms)",
                r.rows, r.seconds, r.rowsPerSecond, r.applied, r.staleRefused, r.p50BatchMilliseconds,
                r.p99BatchMilliseconds))
        console.out(
            String(
                format: "pipelined HSET (ceiling): %d rows in %.3f s = %.0f rows/s", r.hsetRows, r.hsetSeconds,
                r.hsetRowsPerSecond))
        console.out(
            String(
                format: "one EVALSHA per row (naive): %d rows in %.3f s = %.0f rows/s", r.naiveRows, r.naiveSeconds,
                r.naiveRowsPerSecond))
        func perRow(_ cpu: Double, _ rows: Int) -> Double { rows > 0 ? cpu / Double(rows) * 1e6 : 0 }
        console.out(
            String(
                format:
                    "CPU apply: masters %.2f s (%.1f us/row, %.0f rows per master-CPU-second), sluice %.2f s (%.1f us/row)",
                r.applyServerCPU, perRow(r.applyServerCPU, r.rows),
                r.applyServerCPU > 0 ? Double(r.rows) / r.applyServerCPU : 0, r.applyClientCPU,
                perRow(r.applyClientCPU, r.rows)))
        console.out(
            String(
                format:
                    "CPU HSET:  masters %.2f s (%.1f us/row, %.0f rows per master-CPU-second), sluice %.2f s (%.1f us/row)",
                r.hsetServerCPU, perRow(r.hsetServerCPU, r.hsetRows),
                r.hsetServerCPU > 0 ? Double(r.hsetRows) / r.hsetServerCPU : 0, r.hsetClientCPU,
                perRow(r.hsetClientCPU, r.hsetRows)))
        console.out(r.json)
    }
}
