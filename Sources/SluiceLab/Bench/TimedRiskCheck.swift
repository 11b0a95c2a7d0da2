import Foundation
import Ledger
import RedisCluster

/// A `RiskCheck` that times the one it wraps: `sluice bench ledger --risk` reports the rules'
/// cost per transfer (the reserve round trip, and the confirm or release after the transfer).
package final class TimedRiskCheck: RiskCheck, @unchecked Sendable {
    package struct Totals: Sendable, Equatable {
        package var reserves = 0
        package var reserveSeconds = 0.0
        package var settles = 0
        package var settleSeconds = 0.0
        package var refused = 0
        package var unavailable = 0

        package init() {}

        /// Mean seconds of the rules per checked transfer (a reserve plus its settle).
        package var secondsPerTransfer: Double {
            (reserves > 0 ? reserveSeconds / Double(reserves) : 0) + (settles > 0 ? settleSeconds / Double(settles) : 0)
        }
    }

    private let inner: any RiskCheck
    private let lock = NSLock()
    private var sums = Totals()

    package init(_ inner: any RiskCheck) { self.inner = inner }

    package var totals: Totals { lock.withLock { sums } }

    package func reserve(_ request: TransferRequest, reservationID: String) -> RiskDecision {
        let started = ContinuousClock.now
        let decision = inner.reserve(request, reservationID: reservationID)
        let seconds = Self.seconds(since: started)
        lock.withLock {
            sums.reserves += 1
            sums.reserveSeconds += seconds
            if case .refused = decision { sums.refused += 1 }
            if case .unavailable = decision { sums.unavailable += 1 }
        }
        return decision
    }

    package func confirm(_ reservation: RiskReservation) throws(RedisError) {
        let started = ContinuousClock.now
        defer { settled(since: started) }
        try inner.confirm(reservation)
    }

    package func release(_ reservation: RiskReservation) throws(RedisError) {
        let started = ContinuousClock.now
        defer { settled(since: started) }
        try inner.release(reservation)
    }

    private func settled(since started: ContinuousClock.Instant) {
        let seconds = Self.seconds(since: started)
        lock.withLock {
            sums.settles += 1
            sums.settleSeconds += seconds
        }
    }

    private static func seconds(since started: ContinuousClock.Instant) -> Double {
        let took = ContinuousClock.now - started
        return Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
    }
}
