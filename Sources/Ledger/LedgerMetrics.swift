import Ops

/// The ledger's cells of the metrics catalogue (`SluiceMetrics.ledger*`), made once from a
/// registry; every recording is a lock-free-ish cell update, never an allocation per request.
package struct LedgerMetrics: Sendable {
    let transfers: [String: Counter]
    let transferSeconds: Histogram
    let xa: [String: Counter]
    let fsyncSeconds: Histogram
    let recordsPerFsync: Histogram
    package let inDoubt: Gauge
    let riskDecisions: [String: Counter]
    let riskSeconds: Histogram
    let riskReservations: [String: Counter]
    package let inDoubtOldestSeconds: Gauge
    let cacheLookups: [CacheLevel: Counter]
    let cacheHits: [CacheLevel: Counter]
    let cacheEntries: Gauge

    static let outcomes = ["created", "replayed", "conflict", "refused", "unavailable", "pending"]
    static let xaKinds = ["commit", "rollback", "resolved_commit", "resolved_rollback"]
    static let riskKinds = ["accepted", "error"] + RiskRule.allCases.map(\.rawValue)
    static let reservationKinds = ["confirmed", "released", "failed"]

    package init(registry: MetricsRegistry) throws(MetricsError) {
        var transfers: [String: Counter] = [:]
        for kind in Self.outcomes {
            transfers[kind] = try registry.counter(SluiceMetrics.ledgerTransfers, [.kind: kind])
        }
        var xa: [String: Counter] = [:]
        for kind in Self.xaKinds { xa[kind] = try registry.counter(SluiceMetrics.ledgerXA, [.kind: kind]) }
        self.transfers = transfers
        self.xa = xa
        transferSeconds = try registry.histogram(SluiceMetrics.ledgerTransferSeconds)
        fsyncSeconds = try registry.histogram(SluiceMetrics.ledgerJournalFsyncSeconds)
        recordsPerFsync = try registry.histogram(SluiceMetrics.ledgerJournalRecordsPerFsync)
        inDoubt = try registry.gauge(SluiceMetrics.ledgerInDoubt)
        var risk: [String: Counter] = [:]
        for kind in Self.riskKinds {
            risk[kind] = try registry.counter(SluiceMetrics.ledgerRiskDecisions, [.kind: kind])
        }
        riskDecisions = risk
        riskSeconds = try registry.histogram(SluiceMetrics.ledgerRiskSeconds)
        var settled: [String: Counter] = [:]
        for kind in Self.reservationKinds {
            settled[kind] = try registry.counter(SluiceMetrics.ledgerRiskReservations, [.kind: kind])
        }
        riskReservations = settled
        inDoubtOldestSeconds = try registry.gauge(SluiceMetrics.ledgerInDoubtOldestSeconds)
        var lookups: [CacheLevel: Counter] = [:]
        var hits: [CacheLevel: Counter] = [:]
        for level in CacheLevel.allCases {
            lookups[level] = try registry.counter(SluiceMetrics.ledgerCacheLookups, [.kind: level.rawValue])
            hits[level] = try registry.counter(SluiceMetrics.ledgerCacheHits, [.kind: level.rawValue])
        }
        cacheLookups = lookups
        cacheHits = hits
        cacheEntries = try registry.gauge(SluiceMetrics.ledgerCacheEntries)
    }

    func answered(_ answer: TransferAnswer, seconds: Double) {
        let kind: String
        switch answer {
        case .created: kind = "created"
        case .replayed: kind = "replayed"
        case .conflict: kind = "conflict"
        case .refused, .riskRefused: kind = "refused"
        case .unavailable: kind = "unavailable"
        case .pending: kind = "pending"
        }
        transfers[kind]?.increment()
        transferSeconds.observe(seconds)
    }

    func risk(_ decision: RiskDecision, seconds: Double) {
        let kind: String
        switch decision {
        case .accepted: kind = "accepted"
        case .refused(let refusal): kind = refusal.rule.rawValue
        case .unavailable: kind = "error"
        }
        riskDecisions[kind]?.increment()
        riskSeconds.observe(seconds)
    }

    func riskSettled(_ kind: String) { riskReservations[kind]?.increment() }

    /// One read that asked `level`, answered there or not.
    func cache(_ level: CacheLevel, hit: Bool) {
        cacheLookups[level]?.increment()
        if hit { cacheHits[level]?.increment() }
    }

    func xa(_ kind: String, count: Int = 1) { xa[kind]?.increment(by: UInt64(count)) }

    /// For `Journal`'s `onFsync`.
    func fsynced(seconds: Double, records: Int) {
        fsyncSeconds.observe(seconds)
        recordsPerFsync.observe(Double(records))
    }
}
