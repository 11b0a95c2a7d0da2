import Foundation
import MySQLSource
import Ops
import RedisCluster
import Timekeeping

/// The levels of the account read path, as the metrics name them.
package enum CacheLevel: String, Sendable, CaseIterable {
    case l1, l2, l3
}

/// The read path of `GET /v1/accounts/{id}`: L1 (`AccountCache`, in process), L2 the primary
/// Redis cluster (the keys the write-through and the daemon keep, read by `WriteThrough.read`),
/// L3 the account's shard. The decisions are `AccountCache`'s; this type only does the I/O:
/// - a fresh L1 entry answers;
/// - otherwise L2, unless its version is older than what L1 already served (the floor);
/// - otherwise the shard, whose row then fills L2 through the version-checked function library
///   (`WriteThrough.apply`, the CDC sink's `sluice_apply`: a newer key is never overwritten);
/// - `consistent` reads the shard alone.
/// Every account a level answers is offered to L1, and so is every account this process commits
/// (`saw`): an entry is replaced by any newer version the process sees. A Redis failure only
/// makes L2 a miss.
package final class AccountReads: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: AccountCache
    private let redis: WriteThrough?
    private let mysql: @Sendable (Int64) throws(MySQLError) -> AccountState?
    private let metrics: LedgerMetrics?
    private let clock: any ServiceClock

    /// `redis` nil: no L2. The entries' ages are read on `clock`'s monotonic reading.
    package init(
        settings: AccountCache.Settings, redis: WriteThrough?, metrics: LedgerMetrics?,
        clock: any ServiceClock = SystemClock(),
        mysql: @escaping @Sendable (Int64) throws(MySQLError) -> AccountState?
    ) {
        cache = AccountCache(settings)
        self.redis = redis
        self.metrics = metrics
        self.clock = clock
        self.mysql = mysql
    }

    private func now() -> Double { clock.monotonicNow().seconds }

    package var settings: AccountCache.Settings { cache.settings }

    /// The account as the levels have it (nil: no such account on its shard).
    package func account(_ id: Int64, consistent: Bool = false) throws(MySQLError) -> AccountState? {
        if consistent { return try fromMySQL(id) }
        let floor: UInt64
        switch lock.withLock({ cache.lookup(id, now: now()) }) {
        case .fresh(let account):
            metrics?.cache(.l1, hit: true)
            return account
        case .stale(let version): floor = version
        case .absent: floor = 0
        }
        metrics?.cache(.l1, hit: false)
        if let redis {
            let found = (try? redis.read([id]))?.first ?? nil
            if let found, found.version >= floor {
                metrics?.cache(.l2, hit: true)
                offer([found])
                return found
            }
            metrics?.cache(.l2, hit: false)
        }
        return try fromMySQL(id)
    }

    /// The shard's row; fills L2 (version-checked) and L1.
    private func fromMySQL(_ id: Int64) throws(MySQLError) -> AccountState? {
        let found = try mysql(id)
        metrics?.cache(.l3, hit: found != nil)
        guard let found else { return nil }
        _ = try? redis?.apply([found])
        offer([found])
        return found
    }

    /// Accounts this process saw (committed by its transfers, read by recovery): offered to L1.
    package func saw(_ accounts: [AccountState]) { offer(accounts) }

    private func offer(_ accounts: [AccountState]) {
        let count = lock.withLock {
            let at = now()
            for account in accounts { cache.offer(account, now: at) }
            return cache.count
        }
        metrics?.cacheEntries.set(count)
    }

    /// One warming pass: the hot entries due for a refresh are read from L2 (one pipeline) and
    /// offered again; those L2 lacks or holds older than L1 are read from their shard. Failures
    /// leave the entry to expire. Returns the ids refreshed.
    @discardableResult
    package func warm() -> [Int64] {
        let due = lock.withLock { cache.warmingPass(now: now()) }
        guard !due.isEmpty else { return [] }
        let fromRedis = (try? redis?.read(due)) ?? nil
        var refreshed: [Int64] = []
        for (index, id) in due.enumerated() {
            if let found = fromRedis?[index], lock.withLock({ cache.offer(found, now: now()) }) {
                refreshed.append(id)
            } else if (try? fromMySQL(id)) != nil {
                refreshed.append(id)
            }
        }
        return refreshed
    }

    /// Runs `warm` every quarter of the TTL on a background thread until `isStopping`.
    package func startWarming(isStopping: @escaping @Sendable () -> Bool) {
        guard settings.hotCount > 0, settings.capacity > 0 else { return }
        let interval = settings.ttl / 4
        let thread = Thread { [self] in
            while !isStopping() {
                Thread.sleep(forTimeInterval: interval)
                warm()
            }
        }
        thread.name = "sluice-ledger-cache-warmer"
        thread.start()
    }
}
