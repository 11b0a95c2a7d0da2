import RedisCluster

/// The risk step of a transfer, asked before any shard is touched (`LedgerService.risk`):
/// `reserve` checks the rules and, when they pass, reserves the amount atomically; the ledger
/// then `confirm`s the reservation when the transfer committed and `release`s it when it did
/// not. A reservation neither confirmed nor released (a crash) expires on its own.
package protocol RiskCheck: Sendable {
    func reserve(_ request: TransferRequest, reservationID: String) -> RiskDecision
    /// The transfer committed (or was decided: it will commit).
    func confirm(_ reservation: RiskReservation) throws(RedisError)
    /// The transfer did not happen; idempotent by reservation id.
    func release(_ reservation: RiskReservation) throws(RedisError)
}

/// A rule that refused a transfer; the raw value is the reason code the API answers.
package enum RiskRule: String, Sendable, Equatable, CaseIterable {
    /// The debited or the credited account is blacklisted.
    case blacklistedAccount = "blacklisted_account"
    /// The credited account belongs to a blacklisted merchant.
    case blacklistedMerchant = "blacklisted_merchant"
    /// More transfers from the account in the last 60 s than its class allows.
    case rateLimit = "rate_limit"
    /// The day's used amount plus this one would exceed the class's daily limit.
    case dailyLimit = "daily_limit"
    /// The amount is above `anomaly_factor` times the account's recent average.
    case amountAnomaly = "amount_anomaly"
}

/// An accepted check: the amount is reserved on the debited account until confirmed, released,
/// or expired.
package struct RiskReservation: Sendable, Equatable {
    package var id: String
    package var account: Int64
    package var amountMinor: Int64
    /// The UTC day (days since the epoch, the Redis node's clock) the amount counts on.
    package var day: Int64
    /// The account's limits class.
    package var accountClass: String
}

/// A refusal by a rule, with the account it is about and the rule's own words.
package struct RiskRefusal: Sendable, Equatable {
    package var rule: RiskRule
    package var account: Int64
    package var accountClass: String
    package var detail: String
}

package enum RiskDecision: Sendable, Equatable {
    case accepted(RiskReservation)
    case refused(RiskRefusal)
    /// The rules could not be asked (Redis unreachable): the transfer is not made (503).
    case unavailable(String)
}

/// Reads the library's replies (pure).
package enum RiskReply {
    /// `sluice_risk_reserve`'s answer for `request` under `reservationID`.
    package static func reserve(_ reply: RedisReply, request: TransferRequest, reservationID: String) -> RiskDecision {
        if let message = reply.errorMessage { return .unavailable("risk rules: \(message)") }
        let items = reply.elements?.map { $0.text ?? "" } ?? []
        switch items.first {
        case "accepted" where items.count == 5:
            guard let day = Int64(items[4]) else { break }
            return .accepted(
                RiskReservation(
                    id: reservationID, account: request.from, amountMinor: request.amount.minorUnits, day: day,
                    accountClass: items[1]))
        case "refused" where items.count == 4:
            guard let rule = RiskRule(rawValue: items[1]) else { break }
            return .refused(RiskRefusal(rule: rule, account: request.from, accountClass: items[2], detail: items[3]))
        default:
            break
        }
        return .unavailable("risk rules: unexpected reply to \(RiskLibrary.reserveFunction): \(reply)")
    }

    /// `sluice_risk_payee`'s answer: nil when the credited account may be paid.
    package static func payee(_ reply: RedisReply, account: Int64) -> Result<RiskRefusal?, RiskFailure> {
        if let message = reply.errorMessage { return .failure(RiskFailure(message: message)) }
        let items = reply.elements?.map { $0.text ?? "" } ?? []
        if items == ["accepted"] { return .success(nil) }
        if items.count == 3, items[0] == "refused", let rule = RiskRule(rawValue: items[1]) {
            return .success(RiskRefusal(rule: rule, account: account, accountClass: "", detail: items[2]))
        }
        return .failure(RiskFailure(message: "unexpected reply to \(RiskLibrary.payeeFunction): \(reply)"))
    }
}

package struct RiskFailure: Error, Sendable, Equatable {
    package var message: String
}
