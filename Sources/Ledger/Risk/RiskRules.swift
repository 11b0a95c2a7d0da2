import Foundation
import Ops
import RedisCluster

/// The risk rules of `[ledger.risk]` against the `sluice_risk` function library (`RiskLibrary`).
///
/// One transfer costs one round trip before its shards are touched: the reserve on the debited
/// account's slot and the payee check on the credited account's slot, pipelined together (two
/// slots, so two calls: each is single-slot; they run on their nodes in parallel). A payee refusal
/// releases the reservation just made. After the transfer, one more call confirms or releases.
///
/// Request threads call concurrently, each through a cluster client taken from an idle list and
/// made on demand by `makeClient` (like `WriteThrough`).
package final class RiskRules: RiskCheck, @unchecked Sendable {
    package let config: LedgerRiskConfig
    /// How long a settled reservation is remembered, so a repeated confirm or release is a no-op.
    package let keepMilliseconds: Int
    private let makeClient: @Sendable () throws(RedisError) -> RedisClusterClient
    private let lock = NSLock()
    private var idle: [RedisClusterClient] = []

    package init(config: LedgerRiskConfig, makeClient: @escaping @Sendable () throws(RedisError) -> RedisClusterClient)
    {
        self.config = config
        keepMilliseconds = max(config.reservationTTLMS, 600_000)
        self.makeClient = makeClient
    }

    /// Loads the library on every master (also done on demand when a node answers it is missing).
    package func loadLibrary() throws(RedisError) {
        _ = try withClient { client throws(RedisError) in
            try FunctionLibrary.load(name: RiskLibrary.name, source: RiskLibrary.source, client: client)
        }
    }

    // MARK: - Commands (pure)

    package func reserveCommand(_ request: TransferRequest, reservationID: String) -> RedisCommand {
        var c = RedisCommand("FCALL", RiskLibrary.reserveFunction, "1", RiskLibrary.key(of: request.from))
        c.append(reservationID)
        c.append(String(request.amount.minorUnits))
        c.append(config.reservationTTLMS)
        c.append(keepMilliseconds)
        c.append(config.anomalyWindow)
        c.append(config.anomalyMinSamples)
        c.append(config.defaultClass)
        c.append(config.classes.count)
        for k in config.classes {
            c.append(k.name)
            c.append(k.dailyLimitMinor.map { String($0) } ?? "-1")
            c.append(k.perMinute)
            c.append(String(k.anomalyFactor))
        }
        return c
    }

    // MARK: - RiskCheck

    package func reserve(_ request: TransferRequest, reservationID: String) -> RiskDecision {
        let payee = RedisCommand("FCALL_RO", RiskLibrary.payeeFunction, "1", RiskLibrary.key(of: request.to))
        let replies: [RedisReply]
        do {
            replies = try call([
                (reserveCommand(request, reservationID: reservationID), RiskLibrary.key(of: request.from)),
                (payee, RiskLibrary.key(of: request.to)),
            ])
        } catch {
            return .unavailable("risk rules: \(error)")
        }
        let decision = RiskReply.reserve(replies[0], request: request, reservationID: reservationID)
        switch RiskReply.payee(replies[1], account: request.to) {
        case .success(nil):
            return decision
        case .success(let refusal?):
            guard case .accepted(let reservation) = decision else { return decision }
            do {
                try release(reservation)
            } catch {
                return .unavailable("risk rules: payee refused, releasing the reservation failed: \(error)")
            }
            return .refused(refusal)
        case .failure(let failure):
            if case .accepted(let reservation) = decision { try? release(reservation) }
            return .unavailable("risk rules: \(failure.message)")
        }
    }

    package func confirm(_ reservation: RiskReservation) throws(RedisError) {
        var c = RedisCommand("FCALL", RiskLibrary.confirmFunction, "1", RiskLibrary.key(of: reservation.account))
        c.append(reservation.id)
        c.append(String(reservation.amountMinor))
        c.append(String(reservation.day))
        c.append(config.anomalyWindow)
        c.append(keepMilliseconds)
        try expectInteger(c, account: reservation.account)
    }

    package func release(_ reservation: RiskReservation) throws(RedisError) {
        var c = RedisCommand("FCALL", RiskLibrary.releaseFunction, "1", RiskLibrary.key(of: reservation.account))
        c.append(reservation.id)
        c.append(keepMilliseconds)
        try expectInteger(c, account: reservation.account)
    }

    /// An account's counters now (expired reservations purged first): for operators and tests.
    package func state(of account: Int64) throws(RedisError) -> RiskState {
        var c = RedisCommand("FCALL", RiskLibrary.stateFunction, "1", RiskLibrary.key(of: account))
        c.append(config.anomalyWindow)
        let reply = try call([(c, RiskLibrary.key(of: account))])[0]
        let values = reply.elements?.compactMap(\.int) ?? []
        guard values.count == 4 else {
            throw RedisError(.protocolViolation, "unexpected reply to \(RiskLibrary.stateFunction): \(reply)")
        }
        return RiskState(
            usedToday: values[0], lastMinute: Int(values[1]), pending: Int(values[2]), window: Int(values[3]))
    }

    // MARK: - I/O

    private func expectInteger(_ command: RedisCommand, account: Int64) throws(RedisError) {
        let reply = try call([(command, RiskLibrary.key(of: account))])[0]
        if let message = reply.errorMessage {
            throw RedisError(RedisError.code(forServerError: message), "risk rules of account \(account): \(message)")
        }
        guard reply.int != nil else {
            throw RedisError(.protocolViolation, "risk rules of account \(account): unexpected reply \(reply)")
        }
    }

    /// Sends the commands (each routed by its key's slot); loads the library once and sends again
    /// when a node answers that it has none (every call is idempotent by reservation id).
    private func call(_ commands: [(RedisCommand, String)]) throws(RedisError) -> [RedisReply] {
        try withClient { client throws(RedisError) in
            let requests = commands.map { ($0.0, Optional(HashSlot.slot(of: $0.1))) }
            let replies = try client.pipeline(requests)
            let missing = replies.contains {
                $0.errorMessage.map(FunctionLibrary.isMissing) ?? false
            }
            guard missing else { return replies }
            try FunctionLibrary.load(name: RiskLibrary.name, source: RiskLibrary.source, client: client)
            return try client.pipeline(requests)
        }
    }

    /// Runs `body` with an idle client (or a new one); a client that failed is dropped.
    private func withClient<T>(_ body: (RedisClusterClient) throws(RedisError) -> T) throws(RedisError) -> T {
        let client: RedisClusterClient
        if let free = lock.withLock({ idle.popLast() }) {
            client = free
        } else {
            client = try makeClient()
        }
        let result = try body(client)
        lock.withLock { idle.append(client) }
        return result
    }
}

/// An account's risk counters (`sluice_risk_state`).
package struct RiskState: Sendable, Equatable {
    /// Amount used today (reserved + confirmed), minor units.
    package var usedToday: Int64
    /// Transfers in the last 60 s (pending + confirmed).
    package var lastMinute: Int
    /// Reservations neither confirmed, released nor expired.
    package var pending: Int
    /// Confirmed amounts in the anomaly window.
    package var window: Int
}
