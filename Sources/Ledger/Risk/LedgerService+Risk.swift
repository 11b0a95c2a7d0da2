import Foundation

/// The risk step of `LedgerService.decide`: before any shard is touched, reserve (or be refused
/// by) the risk rules, and journal what they decided; after the transfer, confirm the
/// reservation when it committed (or was decided), release it otherwise.
extension LedgerService {
    enum RiskStep {
        /// Go on with the transfer (holding this reservation, nil without rules).
        case proceed(RiskReservation?)
        /// Answer this without touching a shard (a refusal, or the rules unreachable).
        case answer(TransferAnswer)
    }

    func checkRisk(_ request: TransferRequest) -> RiskStep {
        guard let risk else { return .proceed(nil) }
        let id = "r" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let started = ContinuousClock.now
        let decision = risk.reserve(request, reservationID: id)
        let took = ContinuousClock.now - started
        metrics?.risk(decision, seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        func journal(rule: String, accountClass: String, detail: String) {
            // Not fsync'd on its own: the next group commit carries it (a decision, or a later one).
            _ = try? self.journal.append(
                .risk(
                    JournalRiskCheck(
                        reservationID: id, idempotencyKey: request.idempotencyKey, from: request.from, to: request.to,
                        amountMinor: request.amount.minorUnits, rule: rule, accountClass: accountClass,
                        detail: detail)),
                durable: false)
        }
        switch decision {
        case .accepted(let reservation):
            journal(rule: "", accountClass: reservation.accountClass, detail: "")
            return .proceed(reservation)
        case .refused(let refusal):
            journal(rule: refusal.rule.rawValue, accountClass: refusal.accountClass, detail: refusal.detail)
            return .answer(.riskRefused(refusal))
        case .unavailable(let reason):
            logger.log(
                .warning, "ledger: risk rules unreachable; transfer not made",
                ["idempotency_key": .string(request.idempotencyKey), "reason": .string(reason)])
            return .answer(.unavailable(reason))
        }
    }

    func settleRisk(_ reservation: RiskReservation?, after outcome: TransferOutcome) {
        guard let risk, let reservation else { return }
        let confirm: Bool
        switch outcome {
        case .committed, .decidedNotCommitted: confirm = true
        case .refused, .duplicateKey, .unavailable: confirm = false
        }
        do {
            if confirm { try risk.confirm(reservation) } else { try risk.release(reservation) }
            metrics?.riskSettled(confirm ? "confirmed" : "released")
        } catch {
            metrics?.riskSettled("failed")
            logger.log(
                .warning,
                confirm
                    ? "ledger: risk confirm failed; the amount stops counting when the reservation expires"
                    : "ledger: risk release failed; the reservation expires on its own",
                ["reservation.id": .string(reservation.id), "reason": .string(error.description)])
        }
    }
}
