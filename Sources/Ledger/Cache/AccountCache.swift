/// L1 of the account read path: a bounded in-process map from account id to the newest
/// `AccountState` this process has seen, each entry with its row version and the time it was
/// last confirmed. Pure: no locks, no I/O, time passed in (`now`, seconds on any monotonic
/// clock), so every rule is tested without sleeping. `AccountReads` does the I/O around it.
///
/// Rules:
/// 1. **TTL.** An entry is served (`lookup` answers `.fresh`) until `ttl` seconds after it was
///    stored or confirmed; after that `lookup` answers `.stale` with its version, and the caller
///    reads a lower level. Changes made outside this process therefore show after at most `ttl`
///    plus the lag of whatever fills the level below.
/// 2. **Versions only grow.** `offer` stores an account when the id is absent or the version is
///    newer than the stored one (the value is replaced and its clock restarts), restarts the clock
///    when the version is the same (a read confirmed it), and refuses an older version. An
///    expired entry keeps its version as a floor: a lower level that is behind (a write-through
///    lost, the daemon lagging) is not shown over what this process already served.
/// 3. **Bounded.** At most `capacity` entries. Storing a new id when full first evicts a batch
///    (an eighth of the capacity, at least one): expired entries first, then the least recently
///    used. `capacity` 0 stores nothing.
/// 4. **Hot accounts kept warm.** Each lookup counts a use; `warmingPass` returns the up to
///    `hotCount` most used entries (at least one use since the previous pass, with decay) whose
///    age has passed `refreshAfter` of the TTL, so the caller can refresh them before they
///    expire; then halves every use count, so "hot" means "used recently".
package struct AccountCache: Sendable {
    package struct Settings: Sendable, Equatable {
        package var capacity: Int
        /// Seconds an entry is served after it was stored or confirmed.
        package var ttl: Double
        /// How many of the most used entries `warmingPass` keeps fresh (0: none).
        package var hotCount: Int
        /// The fraction of the TTL after which a hot entry is due for its refresh.
        package var refreshAfter: Double

        package init(capacity: Int, ttl: Double, hotCount: Int, refreshAfter: Double = 0.5) {
            self.capacity = max(0, capacity)
            self.ttl = max(0, ttl)
            self.hotCount = max(0, hotCount)
            self.refreshAfter = min(max(refreshAfter, 0), 1)
        }
    }

    package enum Lookup: Sendable, Equatable {
        /// Within its TTL: serve it.
        case fresh(AccountState)
        /// Expired: read a lower level, and show nothing older than `floor`.
        case stale(floor: UInt64)
        case absent
    }

    struct Entry: Sendable {
        var account: AccountState
        var confirmedAt: Double
        var lastUsed: UInt64
        var uses: UInt32
    }

    package let settings: Settings
    private(set) var entries: [Int64: Entry] = [:]
    /// Orders uses for the least-recently-used eviction.
    private var tick: UInt64 = 0

    package init(_ settings: Settings) { self.settings = settings }

    package var count: Int { entries.count }

    private func isFresh(_ entry: Entry, now: Double) -> Bool { now - entry.confirmedAt < settings.ttl }

    /// The entry of `id` as a reader sees it at `now`; counts a use.
    package mutating func lookup(_ id: Int64, now: Double) -> Lookup {
        guard var entry = entries[id] else { return .absent }
        tick += 1
        entry.lastUsed = tick
        entry.uses &+= 1
        entries[id] = entry
        return isFresh(entry, now: now) ? .fresh(entry.account) : .stale(floor: entry.account.version)
    }

    /// Offers an account seen at `now` (read from a lower level, or written by this process).
    /// Returns false when refused: the cache holds a newer version, or its capacity is 0.
    @discardableResult
    package mutating func offer(_ account: AccountState, now: Double) -> Bool {
        guard settings.capacity > 0 else { return false }
        if var entry = entries[account.id] {
            guard account.version >= entry.account.version else { return false }
            entry.account = account
            entry.confirmedAt = now
            entries[account.id] = entry
            return true
        }
        if entries.count >= settings.capacity { evict(now: now) }
        tick += 1
        entries[account.id] = Entry(account: account, confirmedAt: now, lastUsed: tick, uses: 0)
        return true
    }

    /// Removes an eighth of the capacity (at least one entry): expired entries first, then the
    /// least recently used.
    private mutating func evict(now: Double) {
        let batch = max(1, settings.capacity / 8)
        let order = entries.sorted { a, b in
            let aFresh = isFresh(a.value, now: now)
            let bFresh = isFresh(b.value, now: now)
            if aFresh != bFresh { return !aFresh }
            return a.value.lastUsed < b.value.lastUsed
        }
        for (id, _) in order.prefix(batch) { entries[id] = nil }
    }

    /// The hot entries due for a refresh at `now` (see rule 4), most used first; then halves
    /// every use count.
    package mutating func warmingPass(now: Double) -> [Int64] {
        var due: [Int64] = []
        if settings.hotCount > 0 {
            let hot = entries.filter { $0.value.uses > 0 }.sorted { a, b in
                a.value.uses != b.value.uses ? a.value.uses > b.value.uses : a.value.lastUsed > b.value.lastUsed
            }.prefix(settings.hotCount)
            due = hot.filter { now - $0.value.confirmedAt >= settings.ttl * settings.refreshAfter }.map(\.key)
        }
        for id in Array(entries.keys) { entries[id]?.uses >>= 1 }
        return due
    }
}
