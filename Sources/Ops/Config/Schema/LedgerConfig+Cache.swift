extension LedgerConfig {
    /// The account read path's cache (`[ledger] cache_*`): L1 in process, L2 the
    /// `redis_cluster`, L3 the shards (docs/ledger.md, "Reading accounts").
    package struct Cache: Sendable, Equatable {
        /// L1 entries at most (0: no L1, every read goes to L2).
        package var entries: Int
        /// How long an L1 entry is served after it was stored or confirmed, in milliseconds: the
        /// bound on how stale a read is beyond the daemon's lag for changes made elsewhere.
        package var ttlMS: Int
        /// The most used accounts refreshed before their L1 entry expires (0: none).
        package var hotAccounts: Int

        init(_ reader: TableReader) {
            entries = reader.integer("cache_entries", default: 100_000, range: 0...10_000_000) ?? 100_000
            ttlMS = reader.integer("cache_ttl_ms", default: 1000, range: 100...600_000) ?? 1000
            hotAccounts = reader.integer("cache_hot_accounts", default: 1000, range: 0...1_000_000) ?? 1000
        }
    }
}
