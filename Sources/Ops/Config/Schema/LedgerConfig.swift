import Foundation

/// `[ledger]` and its `[[ledger.shard]]` servers: the companion write path (`sluice ledger ...`).
/// Accounts live on shard `id mod shards.count`; the shards are listed in a fixed order that
/// must never change once accounts exist.
package struct LedgerConfig: Sendable, Equatable {
    /// One `[[ledger.shard]]`: a MySQL/MariaDB server holding a part of the accounts.
    package struct Shard: Sendable, Equatable {
        package var host: String
        package var port: Int
        package var socket: String?
        package var user: String
        package var password: Secret?
        package var database: String

        init?(_ reader: TableReader) {
            let host = reader.nonEmptyString("host", default: "127.0.0.1")
            let port = reader.integer("port", default: 3306, range: 1...65535)
            socket = reader.nonEmptyString("socket")
            let user = reader.nonEmptyString("user", required: true)
            password = reader.secret()
            let database = reader.nonEmptyString("database", default: "ledger") { name in
                name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                    ? nil : "must be letters, digits or '_'"
            }
            guard let host, let port, let user, let database else { return nil }
            self.host = host
            self.port = port
            self.user = user
            self.database = database
        }
    }

    /// Names this ledger's XA transactions (`<name>.<id>`): recovery touches only its own.
    package var name: String
    package var journalDirectory: String
    package var journalSegmentBytes: Int
    /// The Ed25519 private key (PEM) that seals the journal, read from `journal_signing_key_file`
    /// or `journal_signing_key_credential` (never inline); nil = the journal is chained, unsigned.
    package var journalSigningKey: Secret?
    package var listen: HostPort
    /// The `[redis.NAME]` cluster written through after each commit; nil = no write-through.
    package var redisCluster: String?
    /// The account key written through, over `{id}` (the daemon's mapping must use the same).
    package var accountKey: String
    /// Decimal places of amounts (2: "12.34" is 1234 minor units).
    package var amountScale: Int
    /// Tries of a transfer that meets a deadlock or lock-wait timeout.
    package var maxAttempts: Int
    /// A transfer on one shard commits in one phase after its journal record (no PREPARE).
    package var onePhaseSingleShard: Bool
    package var connectionsPerShard: Int
    package var maxBodyBytes: Int
    package var maxConnections: Int
    package var requestTimeoutMS: Int
    package var shards: [Shard]
    /// `[ledger.risk]`: risk rules reserved in Redis before each transfer; nil = no rules.
    package var risk: LedgerRiskConfig?
    /// The account read path's cache (`cache_*` keys; `LedgerConfig+Cache.swift`).
    package var cache: Cache

    init?(_ reader: TableReader, clusterNames: [String]) {
        let name = reader.nonEmptyString("name", default: "ledger") { text in
            text.count <= 24 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
                ? nil : "must be at most 24 letters, digits, '_' or '-'"
        }
        let journal = reader.nonEmptyString("journal_dir", required: true)
        journalSegmentBytes =
            reader.integer("journal_segment_bytes", default: 64 << 20, range: 4096...(1 << 40)) ?? (64 << 20)
        if reader.has("journal_signing_key") {
            reader.badValue(
                "journal_signing_key",
                "a private key never goes in the config text: use journal_signing_key_file (a PEM file) "
                    + "or journal_signing_key_credential (a systemd credential)")
        }
        let signingKey = reader.secret("journal_signing_key")
        journalSigningKey = reader.has("journal_signing_key") ? nil : signingKey
        listen = reader.hostPort("listen", default: HostPort(host: "127.0.0.1", port: 8480))
        redisCluster = reader.nonEmptyString("redis_cluster") { clusterNames.contains($0) ? nil : "no [redis.\($0)]" }
        accountKey =
            reader.nonEmptyString("account_key", default: "account:{id}") {
                $0.contains("{id}") ? nil : "must contain {id}"
            } ?? ""
        amountScale = reader.integer("amount_scale", default: 2, range: 0...6) ?? 2
        maxAttempts = reader.integer("max_attempts", default: 5, range: 1...100) ?? 5
        onePhaseSingleShard = reader.bool("one_phase_single_shard", default: false)
        connectionsPerShard = reader.integer("connections_per_shard", default: 16, range: 1...1000) ?? 16
        maxBodyBytes = reader.integer("max_body_bytes", default: 4096, range: 64...1_048_576) ?? 4096
        maxConnections = reader.integer("max_connections", default: 64, range: 1...10_000) ?? 64
        requestTimeoutMS = reader.integer("request_timeout_ms", default: 10_000, range: 100...600_000) ?? 10_000
        if reader.has("risk") {
            let scale = amountScale
            risk = reader.section("risk") { LedgerRiskConfig($0, scale: scale) }
            if redisCluster == nil {
                reader.missing("redis_cluster", "[ledger.risk] keeps its counters in [ledger] redis_cluster: set it")
            }
        }
        cache = Cache(reader)
        let shardReaders = reader.arrayOfTables("shard")
        let shards = shardReaders.compactMap(Shard.init)
        reader.attach("shard", shardReaders)
        if shardReaders.isEmpty {
            reader.context.error(
                .missingRequired, line: reader.line, keyPath: reader.path + ".shard",
                "the ledger needs at least one [[ledger.shard]]")
        }
        guard let name, let journal, shards.count == shardReaders.count, !shards.isEmpty else { return nil }
        self.name = name
        journalDirectory = reader.context.resolve(journal)
        self.shards = shards
    }
}
