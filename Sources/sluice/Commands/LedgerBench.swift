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
        try run(invocation)
    }

    /// A ledger phase: its figures, the journal's fsyncs, whether money was conserved, and the
    /// mean milliseconds a transfer spent in each step (`sluice_ledger_step_seconds`).
    typealias PhaseResult = (
        phase: LedgerBenchmark.Phase, fsyncs: Double, conserved: Bool, stepMS: [String: Double]
    )

    struct Options {
        var seconds: Double
        var connections: Int
        var accounts: Int
        var hot: Double
        var keepJournal: Bool
        var sign: Bool
        var risk: Bool
        var singleShard: Bool

        init(_ a: ParsedArguments) throws {
            guard let seconds = a.value("seconds").flatMap(Double.init), seconds > 0,
                let connections = a.value("connections").flatMap(Int.init), connections > 0, connections <= 500,
                let accounts = a.value("accounts").flatMap(Int.init), accounts >= 20,
                let hot = a.value("hot-fraction").flatMap(Double.init), hot >= 0, hot <= 1
            else {
                throw UsageError(
                    "--seconds > 0, --connections 1-500, --accounts >= 20 and --hot-fraction 0-1 are required")
            }
            (self.seconds, self.connections, self.accounts, self.hot) = (seconds, connections, accounts, hot)
            (keepJournal, sign, risk, singleShard) = (
                a.flag("keep-journal"), a.flag("sign"), a.flag("risk"), a.flag("single-shard")
            )
        }

        var phases: Int { 3 + (singleShard ? 1 : 0) + (sign ? 1 : 0) + (risk ? 1 : 0) }
    }

    /// The sandbox's shards and cluster, the ledger's configuration over them and the benchmark.
    struct Setup {
        let config: LedgerConfig
        let journalDir: String
        let seeds: [RedisEndpoint]
        let bench: LedgerBenchmark

        init(sandbox: SandboxFolder, options: Options) throws {
            let ports = PortAllocator()
            let shards = [
                try MariaDBServer(in: sandbox, ports: ports, serverID: 1, name: "shard0"),
                try MariaDBServer(in: sandbox, ports: ports, serverID: 2, name: "shard1"),
            ]
            let redis = try RedisClusterSandbox(in: sandbox, ports: ports, name: "primary", masters: 3)
            journalDir =
                options.keepJournal
                ? NSTemporaryDirectory() + "sluice-bench-ledger-journal-\(getpid())" : sandbox.path + "/journal"
            let configText = """
                [redis.primary]
                seeds = [\(redis.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
                [ledger]
                journal_dir = "\(journalDir)"
                redis_cluster = "primary"
                connections_per_shard = \(options.connections)
                \(shards.map { "[[ledger.shard]]\nport = \($0.port)\nuser = \"root\"\n" }.joined())
                """
            switch SluiceConfig.parse(configText, file: "bench-ledger.toml", directory: sandbox.path, environment: [:]) {
            case .success(let loaded):
                guard let ledger = loaded.config.ledger else { throw UsageError("internal: no [ledger]") }
                config = ledger
            case .failure(let errors): throw errors
            }
            _ = try LedgerRuntime.initialize(
                config: config, seedAccounts: options.accounts, seedBalance: Amount(minorUnits: 1_000_000, scale: 2),
                currency: "EUR")
            seeds = redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
            bench = LedgerBenchmark(
                settings: .init(
                    seconds: options.seconds, connections: options.connections, accounts: options.accounts,
                    hotFraction: options.hot, singleShard: options.singleShard, shardCount: config.shards.count))
        }

        /// One ledger phase on its own service (each holds the journal's lock until it is released).
        func ledgerPhase(
            _ config: LedgerConfig, _ run: String, prepare: (LedgerService) -> Void = { _ in }
        ) throws -> PhaseResult {
            let seeds = seeds
            let registry = MetricsRegistry()
            try registry.declare(SluiceMetrics.ledger)
            let metrics = try LedgerMetrics(registry: registry)
            let service = try LedgerRuntime.service(
                config: config,
                redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
                metrics: metrics, logger: Logger.standardError(level: .warning, format: .text))
            prepare(service)
            let before = try service.totals()
            let stats0 = service.journal.currentStats
            let phase = bench.ledger(service, run: run)
            let stats = service.journal.currentStats
            let after = try service.totals()
            var stepMS: [String: Double] = [:]
            for (step, histogram) in metrics.stepSeconds {
                let snapshot = histogram.snapshot
                if snapshot.count > 0 { stepMS[step.rawValue] = round3(snapshot.sum * 1000 / Double(snapshot.count)) }
            }
            return (
                phase, Double(stats.fsyncs - stats0.fsyncs), before.sum == after.sum && after.negatives == 0, stepMS
            )
        }
    }

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let options = try Options(invocation.arguments)
        let out = invocation.console
        out.out("starting the sandbox (two MariaDB shards, a Redis Cluster)...")
        let sandbox = try SandboxFolder(label: "bench-ledger")
        defer { sandbox.close() }
        let setup = try Setup(sandbox: sandbox, options: options)
        let databases = setup.config.shards.map(\.database)
        let rawPools = LedgerRuntime.pools(setup.config)
        out.out("phase 1/\(options.phases): plain transactions (\(options.connections) connections, \(Int(options.seconds)) s)...")
        let plain = setup.bench.raw(rawPools, databases: databases, xa: false, run: "plain")
        out.out(line("plain", plain))
        out.out("phase 2/\(options.phases): raw XA 2PC...")
        let rawXA = setup.bench.raw(rawPools, databases: databases, xa: true, run: "xa")
        out.out(line("raw XA", rawXA))
        out.out("phase 3/\(options.phases): the ledger (XA + journal fsync + write-through)...")
        let ledger = try setup.ledgerPhase(setup.config, "ledger")
        out.out(line("ledger", ledger.phase))
        out.out(
            "  mean ms per transfer by step: "
                + ledger.stepMS.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))

        var report: [String: Any] = [
            "tps": round1(ledger.phase.tps), "p50_ms": round1(ledger.phase.percentile(0.5)),
            "p99_ms": round1(ledger.phase.percentile(0.99)), "max_ms": round1(ledger.phase.percentile(1)),
            "raw_xa_tps": round1(rawXA.tps), "plain_tps": round1(plain.tps),
            "raw_xa_p99_ms": round1(rawXA.percentile(0.99)), "plain_p99_ms": round1(plain.percentile(0.99)),
            "errors": ledger.phase.errors,
            "fsyncs_per_s": round1(ledger.fsyncs / max(ledger.phase.seconds, 0.001)),
            "transfers_per_fsync": round1(ledger.fsyncs > 0 ? Double(ledger.phase.transfers) / ledger.fsyncs : 0),
            "journal_dir": options.keepJournal ? setup.journalDir : "", "connections": options.connections,
            "accounts": options.accounts, "hot_fraction": options.hot, "seconds": options.seconds,
            "ratio_to_raw_xa": rawXA.tps > 0 ? (ledger.phase.tps / rawXA.tps * 100).rounded() / 100 : 0,
            "step_ms": ledger.stepMS,
        ]
        var conserved = ledger.conserved
        for extra in try extraPhases(setup, options, ledger: ledger.phase, out: out) {
            report.merge(extra.keys) { $1 }
            conserved = conserved && extra.conserved
        }
        report["conserved"] = conserved
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        out.out(String(decoding: data, as: UTF8.self))
        return .success
    }

    /// The optional phases (`--single-shard`, `--sign`, `--risk`), each with its report keys.
    private static func extraPhases(
        _ setup: Setup, _ options: Options, ledger: LedgerBenchmark.Phase, out: Console
    ) throws -> [(keys: [String: Any], conserved: Bool)] {
        var results: [(keys: [String: Any], conserved: Bool)] = []
        var number = 3
        func phase() -> String {
            number += 1
            return "phase \(number)/\(options.phases)"
        }
        if options.singleShard {
            out.out("\(phase()): the ledger with one_phase_single_shard...")
            var oneConfig = setup.config
            oneConfig.onePhaseSingleShard = true
            let one = try setup.ledgerPhase(oneConfig, "one")
            out.out(line("ledger one-phase", one.phase))
            results.append(
                ([
                    "single_shard": true, "one_phase_tps": round1(one.phase.tps),
                    "one_phase_p50_ms": round1(one.phase.percentile(0.5)),
                    "one_phase_p99_ms": round1(one.phase.percentile(0.99)), "one_phase_errors": one.phase.errors,
                ], one.conserved))
        }
        // With --sign, the risk phase runs on the signed journal too: rules and signatures together.
        var riskBase = setup.config
        if options.sign {
            out.out("\(phase()): the ledger with the journal signed (a seal per group commit)...")
            var signedConfig = setup.config
            let pem = JournalKey.generatePrivatePEM()
            signedConfig.journalSigningKey = Secret(pem)
            riskBase = signedConfig
            if options.keepJournal {
                let publicPEM = try JournalKey(pem: pem, isPrivate: true, source: "bench").publicPEM()
                try publicPEM.write(toFile: setup.journalDir + ".pub.pem", atomically: true, encoding: .utf8)
            }
            let signed = try setup.ledgerPhase(signedConfig, "signed")
            out.out(line("ledger signed", signed.phase))
            results.append(
                ([
                    "signed_tps": round1(signed.phase.tps), "signed_p99_ms": round1(signed.phase.percentile(0.99)),
                    "signed_errors": signed.phase.errors,
                    "signed_ratio": ledger.tps > 0 ? (signed.phase.tps / ledger.tps * 100).rounded() / 100 : 0,
                ], signed.conserved))
        }
        if options.risk {
            out.out("\(phase()): the ledger with the risk rules on\(options.sign ? " and the journal signed" : "")...")
            results.append(try riskPhase(setup, base: riskBase, ledger: ledger, out: out))
        }
        return results
    }

    /// The ledger with `[ledger.risk]` rules whose limits are never reached (every rule
    /// evaluated, none refusing), timed: the rules' cost per transfer and share of its latency.
    private static func riskPhase(
        _ setup: Setup, base: LedgerConfig, ledger: LedgerBenchmark.Phase, out: Console
    ) throws -> (keys: [String: Any], conserved: Bool) {
        var riskConfig = base
        riskConfig.risk = LedgerRiskConfig(
            defaultClass: "bench",
            classes: [.init(name: "bench", dailyLimitMinor: 1 << 50, perMinute: 1_000_000, anomalyFactor: 1000)])
        var timed: TimedRiskCheck?
        let risk = try setup.ledgerPhase(riskConfig, "risk") { service in
            guard let rules = service.risk else { return }
            timed = TimedRiskCheck(rules)
            service.risk = timed
        }
        let totals = timed?.totals ?? .init()
        out.out(line("ledger risk", risk.phase))
        let meanMS =
            risk.phase.latencies.isEmpty ? 0 : risk.phase.latencies.reduce(0, +) / Double(risk.phase.latencies.count)
        let perTransferMS = totals.secondsPerTransfer * 1000
        let keys: [String: Any] = [
            "risk_tps": round1(risk.phase.tps), "risk_p50_ms": round1(risk.phase.percentile(0.5)),
            "risk_p99_ms": round1(risk.phase.percentile(0.99)), "risk_errors": risk.phase.errors + totals.unavailable,
            "risk_refused": totals.refused,
            "risk_ratio": ledger.tps > 0 ? (risk.phase.tps / ledger.tps * 100).rounded() / 100 : 0,
            "risk_reserve_ms": round3(totals.reserves > 0 ? totals.reserveSeconds * 1000 / Double(totals.reserves) : 0),
            "risk_settle_ms": round3(totals.settles > 0 ? totals.settleSeconds * 1000 / Double(totals.settles) : 0),
            "risk_ms_per_transfer": round3(perTransferMS),
            "risk_share_of_latency": meanMS > 0 ? round3(perTransferMS / meanMS) : 0,
            "risk_signed": base.journalSigningKey != nil,
        ]
        return (keys, risk.conserved)
    }

    private static func line(_ name: String, _ p: LedgerBenchmark.Phase) -> String {
        "\(name): \(p.transfers) transfers in \(round1(p.seconds)) s = \(round1(p.tps))/s, p50 \(round1(p.percentile(0.5))) ms, "
            + "p99 \(round1(p.percentile(0.99))) ms, max \(round1(p.percentile(1))) ms, \(p.errors) errors"
    }

    private static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    private static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
