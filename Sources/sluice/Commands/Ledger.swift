import Foundation
import Ledger
import Ops
import RedisCluster
import Replication

#if canImport(Glibc)
    import Glibc
#endif

/// `sluice ledger init | recover | serve`: the companion write path (docs/ledger.md).
enum LedgerCommands {
    static let initialize = Command(
        "ledger init",
        abstract: "Create the ledger schema (accounts, entries) on every [[ledger.shard]]",
        discussion: """
            Idempotent. With --seed-accounts N, also creates accounts 1..N (each on shard id mod
            shard count) holding --seed-balance each; existing accounts are left unchanged.
            """,
        flags: [
            .config,
            .value("seed-accounts", placeholder: "N", help: "create accounts 1..N", default: "0"),
            .value("seed-balance", placeholder: "AMOUNT", help: "balance of each seeded account", default: "1000.00"),
            .value("currency", placeholder: "CODE", help: "currency of seeded accounts", default: "EUR"),
        ]
    ) { invocation in
        let config = try ledgerConfig(invocation)
        let args = invocation.arguments
        guard let count = Int(args.value("seed-accounts") ?? "0"), count >= 0, count <= 10_000_000 else {
            throw UsageError("--seed-accounts must be a number from 0 to 10000000")
        }
        let balance: Amount
        do {
            balance = try Amount.parse(args.value("seed-balance") ?? "", scale: config.amountScale)
        } catch {
            throw UsageError("--seed-balance: \(error)")
        }
        let currency = args.value("currency") ?? "EUR"
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw UsageError("--currency must be three upper-case letters")
        }
        for line in try LedgerRuntime.initialize(
            config: config, seedAccounts: count, seedBalance: balance, currency: currency)
        {
            invocation.console.out(line)
        }
        return .success
    }

    static let recover = Command(
        "ledger recover",
        abstract: "Resolve in-doubt XA transfers from the journal and repeat their write-through",
        discussion: """
            XA RECOVER on every shard: this ledger's branches with a commit decision in the journal
            are committed, the others rolled back (presumed abort); other XIDs are left alone.
            Decided transfers not marked written through are written to Redis again (version-
            checked). Prints what it did. Refused while `ledger serve` holds the journal.
            """,
        flags: [.config]
    ) { invocation in
        let config = try ledgerConfig(invocation)
        let sluice = try invocation.loadConfig()
        let logger = Logger.standardError(level: sluice.log.level, format: sluice.log.format)
        let service = try LedgerRuntime.service(
            config: config, redis: redisClient(sluice, config), logger: logger)
        let report = try LedgerRecovery.run(service: service, logger: logger)
        for line in report.lines { invocation.console.out(line) }
        return report.writeThroughFailures.isEmpty ? .success : .failure
    }

    static let serve = Command(
        "ledger serve",
        abstract: "Run the ledger's HTTP API (transfers over XA, journal, write-through)",
        discussion: """
            Recovers first (as `ledger recover`), then serves [ledger] listen: POST /v1/transfers,
            GET /v1/accounts/{id}[?consistent=true] (cached: docs/ledger.md, "Reading accounts"),
            GET /v1/transfers/{id}, GET /health, GET /metrics. A journal write or fsync
            failure stops the process (exit 1): nothing unsynced is ever acknowledged, and the next
            start recovers. SIGTERM/SIGINT: stop accepting, finish answers, exit 0.
            """,
        flags: [.config]
    ) { invocation in
        let sluice = try invocation.loadConfig()
        let config = try ledgerConfig(invocation)
        let logger = Logger.standardError(level: sluice.log.level, format: sluice.log.format)
        let stop = StopSignals()
        let registry = MetricsRegistry()
        try registry.declare(SluiceMetrics.ledger)
        let service = try LedgerRuntime.service(
            config: config, redis: redisClient(sluice, config),
            failpoints: Failpoints.fromEnvironment(invocation.environment),
            metrics: try LedgerMetrics(registry: registry), logger: logger,
            onJournalFailure: { error in
                logger.log(
                    .error, "ledger journal failed; stopping (recovery decides at the next start)",
                    [
                        "reason": .string(error.description)
                    ])
            })
        let report = try LedgerRecovery.run(service: service, logger: logger)
        for line in report.lines { logger.log(.notice, "ledger \(line)") }
        service.resolver.start(service, logger: logger, isStopping: { stop.isStopping })
        service.reads?.startWarming(isStopping: { stop.isStopping })
        registry.onCollect {
            service.metrics?.inDoubt.set(service.resolver.pending.count)
            service.metrics?.inDoubtOldestSeconds.set(service.resolver.oldestSeconds)
        }
        let server = try HTTPServer(
            options: HTTPServerOptions(
                listen: config.listen, maxConnections: config.maxConnections,
                requestTimeout: .milliseconds(config.requestTimeoutMS),
                limits: HTTPParseLimits(maxBodyBytes: config.maxBodyBytes)),
            logger: logger, handler: LedgerAPI(service: service, registry: registry).handle)
        logger.log(
            .notice, "ledger serving",
            [
                "listen": .string("\(config.listen.host):\(server.port)"),
                "shards": .integer(Int64(config.shards.count)),
            ])
        // Fail-stop: once the journal failed, every transfer answers 503 (nothing is acknowledged
        // that is not durable); stop accepting, let the answers go out, exit 1; the next start
        // recovers from what the disk kept.
        while !stop.isStopping, service.journal.failure == nil { try? await Task.sleep(for: .milliseconds(20)) }
        server.stop(timeout: .seconds(10))
        if let failure = service.journal.failure {
            logger.log(.error, "ledger stopped: the journal failed", ["reason": .string(failure.description)])
            return .failure
        }
        logger.log(.notice, "ledger stopped", ["signal": .string(stop.signalName ?? "")])
        return .success
    }

    static func ledgerConfig(_ invocation: Invocation) throws -> LedgerConfig {
        guard let ledger = try invocation.loadConfig().ledger else {
            throw UsageError("the configuration has no [ledger] section")
        }
        return ledger
    }

    /// Makes clients of the write-through cluster; nil when `[ledger] redis_cluster` is not set.
    static func redisClient(_ config: SluiceConfig, _ ledger: LedgerConfig)
        -> (@Sendable () throws(RedisError) -> RedisClusterClient)?
    {
        guard let name = ledger.redisCluster, let redis = config.redis(named: name) else { return nil }
        return { () throws(RedisError) in
            try RedisClusterClient(topology: RedisTopology(config: redis), options: RedisOptions(config: redis))
        }
    }
}
