import Foundation
import MySQLSource
import Ops
import RedisCluster

/// Builds the ledger from its configuration: shard pools, the journal (locked, torn tail
/// truncated), the write-through, the service; and runs its tools (`init`, `recover`, `serve`).
package enum LedgerRuntime {
    package static func pools(_ config: LedgerConfig) -> [ShardPool] {
        config.shards.enumerated().map { index, shard in
            ShardPool(index: index, endpoint: MySQLEndpoint(ledgerShard: shard), capacity: config.connectionsPerShard)
        }
    }

    /// Opens the journal and the service. `redis` (makes a client of the write-through cluster)
    /// is nil when `[ledger] redis_cluster` is not set.
    package static func service(
        config: LedgerConfig, redis: (@Sendable () throws(RedisError) -> RedisClusterClient)?,
        tombstoneTTLSeconds: Int64 = 604_800,
        failpoints: Failpoints = .none, metrics: LedgerMetrics? = nil, logger: Logger,
        onJournalFailure: @escaping @Sendable (JournalError) -> Void = { _ in }
    ) throws(JournalError) -> LedgerService {
        let signer = try signer(config)
        let journal = try Journal(
            directory: config.journalDirectory, segmentBytes: config.journalSegmentBytes, signer: signer,
            onFailure: onJournalFailure,
            onFsync: { seconds, records in metrics?.fsynced(seconds: seconds, records: records) })
        if let torn = journal.tornTail {
            logger.log(
                .warning, "ledger journal: torn tail truncated (never acknowledged)",
                [
                    "journal.segment": .string(torn.segment), "journal.offset": .integer(Int64(torn.offset)),
                    "journal.discarded_bytes": .integer(Int64(torn.discarded)),
                ])
        }
        if let signer {
            logger.log(
                .info, "ledger journal: each group commit is sealed (Ed25519)",
                ["journal.key_id": .string(signer.keyIDText), "journal.records": .integer(Int64(journal.recovered.count))])
        }
        let writeThrough = redis.map {
            WriteThrough(keyTemplate: config.accountKey, tombstoneTTLSeconds: tombstoneTTLSeconds, makeClient: $0)
        }
        let service = LedgerService(
            name: config.name, shards: pools(config), databases: config.shards.map(\.database), journal: journal,
            writeThrough: writeThrough, maxAttempts: config.maxAttempts, amountScale: config.amountScale,
            onePhaseSingleShard: config.onePhaseSingleShard,
            failpoints: failpoints, metrics: metrics, logger: logger)
        if let risk = config.risk, let redis {
            // The library is loaded by the first call that finds it missing.
            service.risk = RiskRules(config: risk, makeClient: redis)
            logger.log(
                .info, "ledger: risk rules on (checked and reserved in Redis before each transfer)",
                [
                    "risk.classes": .string(risk.classes.map(\.name).joined(separator: ",")),
                    "risk.reservation_ttl_ms": .integer(Int64(risk.reservationTTLMS)),
                ])
        }
        service.reads = AccountReads(
            settings: .init(
                capacity: config.cache.entries, ttl: Double(config.cache.ttlMS) / 1000,
                hotCount: config.cache.hotAccounts),
            redis: writeThrough, metrics: metrics
        ) { [unowned service] id throws(MySQLError) in try service.account(id) }
        return service
    }

    /// The journal's signing key, or nil when `[ledger]` names none.
    package static func signer(_ config: LedgerConfig) throws(JournalError) -> JournalKey? {
        guard let pem = config.journalSigningKey else { return nil }
        do {
            return try JournalKey(pem: pem.revealed, isPrivate: true, source: "[ledger] journal_signing_key")
        } catch {
            throw JournalError(.key, file: error.source, error.message)
        }
    }

    /// `ledger init`: the schema on every shard, then (optionally) accounts 1...`seedAccounts`
    /// with `seedBalance` each, each on its shard (existing ones are left as they are).
    /// Returns one line per shard.
    package static func initialize(
        config: LedgerConfig, seedAccounts: Int, seedBalance: Amount, currency: String
    ) throws(MySQLError) -> [String] {
        let map = ShardMap(count: config.shards.count)
        var lines: [String] = []
        for (index, shard) in config.shards.enumerated() {
            let database = shard.database
            // Without a default database: it may not exist yet.
            var endpoint = MySQLEndpoint(ledgerShard: shard)
            endpoint.database = nil
            let pool = ShardPool(index: index, endpoint: endpoint, capacity: 1)
            let ids = seedAccounts > 0 ? (1...Int64(seedAccounts)).filter { map.shard(ofAccount: $0) == index } : []
            var added: UInt64 = 0
            try pool.with { connection throws(MySQLError) in
                try LedgerSchema.create(on: connection, database: database)
                var start = 0
                while start < ids.count {
                    let chunk = ids[start..<min(start + 500, ids.count)]
                    added += try connection.execute(
                        "INSERT IGNORE INTO `\(database)`.accounts (id, owner, currency, balance) VALUES "
                            + chunk.map { "(\($0), 'owner-\($0)', \(currency.sqlQuoted), \(seedBalance.minorUnits))" }
                            .joined(separator: ","))
                    start += 500
                }
            }
            lines.append(
                "shard \(index) (\(pool.endpoint.displayName)/\(database)): schema ready, \(added) account(s) added")
        }
        return lines
    }
}
