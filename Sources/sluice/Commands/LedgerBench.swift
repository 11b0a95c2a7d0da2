import Foundation
import Ledger
import MySQLSource
import Ops
import RedisCluster
import TestSupport

/// `sluice bench ledger`: ledger transfers/s and latency beside the raw plain and XA ceilings of
/// the same SQL, measured in one run in a sandbox of two MariaDB shards and a Redis Cluster.
enum LedgerBenchCommand {
    static let command = Command(
        "bench ledger",
        abstract: "Measure ledger transfers/s and p50/p99 against the raw XA and plain-SQL ceilings",
        discussion: """
            Starts two MariaDB shards (durable: sync_binlog=1, innodb_flush_log_at_trx_commit=1)
            and a Redis Cluster, runs `ledger init` with --accounts accounts, then three phases of
            --seconds each with --connections client threads: plain transactions, raw XA 2PC
            (same SQL, no journal, Redis or HTTP), and the ledger (XA + fsync'd journal +
            write-through). --hot-fraction F sends that share of transfers among accounts 1..10.
            The last line is a JSON object; `conserved` checks the ledger phase (total unchanged,
            no negative balance). docs/ledger.md.
            """,
        flags: [
            .value("seconds", placeholder: "N", help: "length of each phase", default: "10"),
            .value("connections", placeholder: "N", help: "client threads (and connections per shard)", default: "16"),
            .value("accounts", placeholder: "N", help: "accounts created", default: "10000"),
            .value("hot-fraction", placeholder: "F", help: "share of transfers among accounts 1..10", default: "0"),
            .boolean("keep-journal", help: "keep the journal folder (printed) instead of deleting it"),
        ]
    ) { invocation in
        let a = invocation.arguments
        guard let seconds = a.value("seconds").flatMap(Double.init), seconds > 0,
            let connections = a.value("connections").flatMap(Int.init), connections > 0, connections <= 500,
            let accounts = a.value("accounts").flatMap(Int.init), accounts >= 20,
            let hot = a.value("hot-fraction").flatMap(Double.init), hot >= 0, hot <= 1
        else {
            throw UsageError("--seconds > 0, --connections 1-500, --accounts >= 20 and --hot-fraction 0-1 are required")
        }
        let out = invocation.console
        out.out("starting the sandbox (two MariaDB shards, a Redis Cluster)...")
        let sandbox = try SandboxFolder(label: "bench-ledger")
        defer { sandbox.close() }
        let ports = PortAllocator()
        let shards = [
            try MariaDBServer(in: sandbox, ports: ports, serverID: 1, name: "shard0"),
            try MariaDBServer(in: sandbox, ports: ports, serverID: 2, name: "shard1"),
        ]
        let redis = try RedisClusterSandbox(in: sandbox, ports: ports, name: "primary", masters: 3)
        let journalDir =
            a.flag("keep-journal")
            ? NSTemporaryDirectory() + "sluice-bench-ledger-journal-\(getpid())" : sandbox.path + "/journal"
        let configText = """
            [redis.primary]
            seeds = [\(redis.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
            [ledger]
            journal_dir = "\(journalDir)"
            redis_cluster = "primary"
            connections_per_shard = \(connections)
            \(shards.map { "[[ledger.shard]]\nport = \($0.port)\nuser = \"root\"\n" }.joined())
            """
        let config: LedgerConfig
        switch SluiceConfig.parse(configText, file: "bench-ledger.toml", directory: sandbox.path, environment: [:]) {
        case .success(let loaded):
            guard let ledger = loaded.config.ledger else { throw UsageError("internal: no [ledger]") }
            config = ledger
        case .failure(let errors): throw errors
        }
        _ = try LedgerRuntime.initialize(
            config: config, seedAccounts: accounts, seedBalance: Amount(minorUnits: 1_000_000, scale: 2),
            currency: "EUR")
        let bench = LedgerBenchmark(
            settings: .init(seconds: seconds, connections: connections, accounts: accounts, hotFraction: hot))
        let databases = config.shards.map(\.database)
        let rawPools = LedgerRuntime.pools(config)

        out.out("phase 1/3: plain transactions (\(connections) connections, \(Int(seconds)) s)...")
        let plain = bench.raw(rawPools, databases: databases, xa: false, run: "plain")
        out.out(line("plain", plain))
        out.out("phase 2/3: raw XA 2PC...")
        let rawXA = bench.raw(rawPools, databases: databases, xa: true, run: "xa")
        out.out(line("raw XA", rawXA))

        let seeds = redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        let service = try LedgerRuntime.service(
            config: config, redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
            logger: Logger.standardError(level: .warning, format: .text))
        let before = try totals(service)
        out.out("phase 3/3: the ledger (XA + journal fsync + write-through)...")
        let stats0 = service.journal.currentStats
        let ledger = bench.ledger(service, run: "ledger")
        let stats = service.journal.currentStats
        out.out(line("ledger", ledger))
        let after = try totals(service)
        let fsyncs = Double(stats.fsyncs - stats0.fsyncs)
        let report: [String: Any] = [
            "tps": round1(ledger.tps), "p50_ms": round1(ledger.percentile(0.5)), "p99_ms": round1(ledger.percentile(0.99)),
            "max_ms": round1(ledger.percentile(1)), "raw_xa_tps": round1(rawXA.tps), "plain_tps": round1(plain.tps),
            "raw_xa_p99_ms": round1(rawXA.percentile(0.99)), "plain_p99_ms": round1(plain.percentile(0.99)),
            "conserved": before.sum == after.sum && after.negatives == 0, "errors": ledger.errors,
            "fsyncs_per_s": round1(fsyncs / max(ledger.seconds, 0.001)),
            "transfers_per_fsync": round1(fsyncs > 0 ? Double(ledger.transfers) / fsyncs : 0),
            "journal_dir": a.flag("keep-journal") ? journalDir : "", "connections": connections,
            "accounts": accounts, "hot_fraction": hot, "seconds": seconds,
            "ratio_to_raw_xa": round1(rawXA.tps > 0 ? ledger.tps / rawXA.tps * 100 : 0) / 100,
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        out.out(String(decoding: data, as: UTF8.self))
        return .success
    }

    private static func line(_ name: String, _ p: LedgerBenchmark.Phase) -> String {
        "\(name): \(p.transfers) transfers in \(round1(p.seconds)) s = \(round1(p.tps))/s, p50 \(round1(p.percentile(0.5))) ms, "
            + "p99 \(round1(p.percentile(0.99))) ms, max \(round1(p.percentile(1))) ms, \(p.errors) errors"
    }

    private static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// Sum of all balances and count of negative ones, over every shard.
    private static func totals(_ service: LedgerService) throws -> (sum: Int64, negatives: Int) {
        var sum: Int64 = 0
        var negatives = 0
        for (index, pool) in service.shards.enumerated() {
            let rows = try pool.with { c throws(MySQLError) in
                try c.query(
                    "SELECT CAST(SUM(balance) AS SIGNED) AS s, SUM(balance < 0) AS n FROM `\(service.database[index])`.accounts")
            }
            sum += Int64(rows.value("s") ?? "0") ?? 0
            negatives += Int(rows.value("n") ?? "0") ?? 0
        }
        return (sum, negatives)
    }
}
