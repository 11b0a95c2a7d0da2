import Foundation
import Ledger
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
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
            .boolean(
                "sign",
                help: "add a phase with the journal sealed by a new Ed25519 key (signed_* keys; its public "
                    + "key is kept beside a kept journal)"),
            .boolean(
                "risk",
                help: "add a phase with [ledger.risk] rules on (limits never reached: every rule evaluated, none "
                    + "refusing; risk_* keys: the rules' cost per transfer and share of its latency)"),
            .boolean(
                "single-shard",
                help: "every transfer on one shard; adds a 4th phase with one_phase_single_shard (one_phase_* keys)"),
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
            settings: .init(
                seconds: seconds, connections: connections, accounts: accounts, hotFraction: hot,
                singleShard: a.flag("single-shard"), shardCount: config.shards.count))
        let phases = 3 + (a.flag("single-shard") ? 1 : 0) + (a.flag("sign") ? 1 : 0) + (a.flag("risk") ? 1 : 0)
        let databases = config.shards.map(\.database)
        let rawPools = LedgerRuntime.pools(config)

        out.out("phase 1/\(phases): plain transactions (\(connections) connections, \(Int(seconds)) s)...")
        let plain = bench.raw(rawPools, databases: databases, xa: false, run: "plain")
        out.out(line("plain", plain))
        out.out("phase 2/\(phases): raw XA 2PC...")
        let rawXA = bench.raw(rawPools, databases: databases, xa: true, run: "xa")
        out.out(line("raw XA", rawXA))

        let seeds = redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        /// One ledger phase on its own service (each holds the journal's lock until it is released).
        func ledgerPhase(
            _ config: LedgerConfig, _ run: String, prepare: (LedgerService) -> Void = { _ in }
        ) throws -> (
            phase: LedgerBenchmark.Phase, fsyncs: Double, conserved: Bool
        ) {
            let service = try LedgerRuntime.service(
                config: config,
                redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
                logger: Logger.standardError(level: .warning, format: .text))
            prepare(service)
            let before = try service.totals()
            let stats0 = service.journal.currentStats
            let phase = bench.ledger(service, run: run)
            let stats = service.journal.currentStats
            let after = try service.totals()
            return (phase, Double(stats.fsyncs - stats0.fsyncs), before.sum == after.sum && after.negatives == 0)
        }
        out.out("phase 3/\(phases): the ledger (XA + journal fsync + write-through)...")
        let (ledger, fsyncs, conserved) = try ledgerPhase(config, "ledger")
        out.out(line("ledger", ledger))
        var onePhase: (phase: LedgerBenchmark.Phase, fsyncs: Double, conserved: Bool)?
        if a.flag("single-shard") {
            out.out("phase 4/\(phases): the ledger with one_phase_single_shard...")
            var oneConfig = config
            oneConfig.onePhaseSingleShard = true
            onePhase = try ledgerPhase(oneConfig, "one")
            out.out(line("ledger one-phase", onePhase?.phase ?? .init()))
        }
        var signed: (phase: LedgerBenchmark.Phase, fsyncs: Double, conserved: Bool)?
        if a.flag("sign") {
            out.out("phase \(phases)/\(phases): the ledger with the journal signed (a seal per group commit)...")
            var signedConfig = config
            let pem = JournalKey.generatePrivatePEM()
            signedConfig.journalSigningKey = Secret(pem)
            if a.flag("keep-journal") {
                let publicPEM = try JournalKey(pem: pem, isPrivate: true, source: "bench").publicPEM()
                try publicPEM.write(toFile: journalDir + ".pub.pem", atomically: true, encoding: .utf8)
            }
            signed = try ledgerPhase(signedConfig, "signed")
            out.out(line("ledger signed", signed?.phase ?? .init()))
        }
        var risk: (phase: LedgerBenchmark.Phase, fsyncs: Double, conserved: Bool)?
        var riskTotals = TimedRiskCheck.Totals()
        if a.flag("risk") {
            out.out("phase \(phases)/\(phases): the ledger with the risk rules on...")
            var riskConfig = config
            riskConfig.risk = LedgerRiskConfig(
                defaultClass: "bench",
                classes: [.init(name: "bench", dailyLimitMinor: 1 << 50, perMinute: 1_000_000, anomalyFactor: 1000)])
            var timed: TimedRiskCheck?
            risk = try ledgerPhase(riskConfig, "risk") { service in
                guard let rules = service.risk else { return }
                timed = TimedRiskCheck(rules)
                service.risk = timed
            }
            riskTotals = timed?.totals ?? .init()
            out.out(line("ledger risk", risk?.phase ?? .init()))
        }
        let report: [String: Any] = [
            "tps": round1(ledger.tps), "p50_ms": round1(ledger.percentile(0.5)),
            "p99_ms": round1(ledger.percentile(0.99)),
            "max_ms": round1(ledger.percentile(1)), "raw_xa_tps": round1(rawXA.tps), "plain_tps": round1(plain.tps),
            "raw_xa_p99_ms": round1(rawXA.percentile(0.99)), "plain_p99_ms": round1(plain.percentile(0.99)),
            "conserved": conserved && (onePhase?.conserved ?? true) && (signed?.conserved ?? true)
                && (risk?.conserved ?? true),
            "errors": ledger.errors,
            "fsyncs_per_s": round1(fsyncs / max(ledger.seconds, 0.001)),
            "transfers_per_fsync": round1(fsyncs > 0 ? Double(ledger.transfers) / fsyncs : 0),
            "journal_dir": a.flag("keep-journal") ? journalDir : "", "connections": connections,
            "accounts": accounts, "hot_fraction": hot, "seconds": seconds,
            "ratio_to_raw_xa": rawXA.tps > 0 ? (ledger.tps / rawXA.tps * 100).rounded() / 100 : 0,
        ]
        var full = report
        if let onePhase {
            full["single_shard"] = true
            full["one_phase_tps"] = round1(onePhase.phase.tps)
            full["one_phase_p50_ms"] = round1(onePhase.phase.percentile(0.5))
            full["one_phase_p99_ms"] = round1(onePhase.phase.percentile(0.99))
            full["one_phase_errors"] = onePhase.phase.errors
        }
        if let signed {
            full["signed_tps"] = round1(signed.phase.tps)
            full["signed_p99_ms"] = round1(signed.phase.percentile(0.99))
            full["signed_errors"] = signed.phase.errors
            full["signed_ratio"] = ledger.tps > 0 ? (signed.phase.tps / ledger.tps * 100).rounded() / 100 : 0
        }
        if let risk {
            let meanMS =
                risk.phase.latencies.isEmpty
                ? 0 : risk.phase.latencies.reduce(0, +) / Double(risk.phase.latencies.count)
            let perTransferMS = riskTotals.secondsPerTransfer * 1000
            full["risk_tps"] = round1(risk.phase.tps)
            full["risk_p50_ms"] = round1(risk.phase.percentile(0.5))
            full["risk_p99_ms"] = round1(risk.phase.percentile(0.99))
            full["risk_errors"] = risk.phase.errors + riskTotals.unavailable
            full["risk_refused"] = riskTotals.refused
            full["risk_ratio"] = ledger.tps > 0 ? (risk.phase.tps / ledger.tps * 100).rounded() / 100 : 0
            full["risk_reserve_ms"] = round3(
                riskTotals.reserves > 0 ? riskTotals.reserveSeconds * 1000 / Double(riskTotals.reserves) : 0)
            full["risk_settle_ms"] = round3(
                riskTotals.settles > 0 ? riskTotals.settleSeconds * 1000 / Double(riskTotals.settles) : 0)
            full["risk_ms_per_transfer"] = round3(perTransferMS)
            full["risk_share_of_latency"] = meanMS > 0 ? round3(perTransferMS / meanMS) : 0
        }
        let data = try JSONSerialization.data(withJSONObject: full, options: [.sortedKeys])
        out.out(String(decoding: data, as: UTF8.self))
        return .success
    }

    private static func line(_ name: String, _ p: LedgerBenchmark.Phase) -> String {
        "\(name): \(p.transfers) transfers in \(round1(p.seconds)) s = \(round1(p.tps))/s, p50 \(round1(p.percentile(0.5))) ms, "
            + "p99 \(round1(p.percentile(0.99))) ms, max \(round1(p.percentile(1))) ms, \(p.errors) errors"
    }

    private static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    private static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
