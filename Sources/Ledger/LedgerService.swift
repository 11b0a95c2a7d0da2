import Foundation
import MySQLSource
import Ops

/// What the API answers for a transfer request.
package enum TransferAnswer: Sendable, Equatable {
    /// Done now (201).
    case created(TransferResult)
    /// The same key and request as an earlier transfer: its answer (200).
    case replayed(TransferResult)
    /// The key belongs to a transfer with other accounts or amount (409).
    case conflict(transferID: String)
    case refused(Refusal)
    /// A risk rule refused it before any shard was touched (422 with the rule's reason code).
    case riskRefused(RiskRefusal)
    /// Nothing was done (503).
    case unavailable(String)
    /// Decided, commit pending on a shard: recovery completes it (503, retry with the same key).
    case pending(transferID: String, reason: String)
}

/// The coordinator: runs `TransferMachine` against the shards, the journal and Redis. Called
/// from the HTTP threads concurrently; each transfer holds one connection per touched shard,
/// borrowed in ascending shard order (so the pools can't deadlock each other).
package final class LedgerService: @unchecked Sendable {
    package let name: String
    package let database: [String]
    package let shards: [ShardPool]
    package let map: ShardMap
    package let journal: Journal
    package let writeThrough: WriteThrough?
    package let maxAttempts: Int
    package let amountScale: Int
    package let onePhaseSingleShard: Bool
    private let failpoints: Failpoints
    package let metrics: LedgerMetrics?
    let logger: Logger
    /// The risk rules (`[ledger.risk]`), asked before any shard is touched (`LedgerService+Risk`);
    /// nil = none.
    package var risk: (any RiskCheck)?
    /// The account read path (L1/L2/L3, `AccountReads`); nil reads the shards directly. Set once
    /// by `LedgerRuntime.service` before serving.
    package var reads: AccountReads?
    /// Branches left to finish after a shard was lost mid-transfer (see `Resolver`).
    package let resolver = Resolver()
    private let sequenceLock = NSLock()
    /// Journal sequence of each decided transfer (answers replays).
    private var decisionSequence: [String: UInt64] = [:]

    package init(
        name: String, shards: [ShardPool], databases: [String], journal: Journal, writeThrough: WriteThrough?,
        maxAttempts: Int, amountScale: Int, onePhaseSingleShard: Bool = false, failpoints: Failpoints = .none,
        metrics: LedgerMetrics? = nil, logger: Logger
    ) {
        self.onePhaseSingleShard = onePhaseSingleShard
        self.metrics = metrics
        self.name = name
        self.shards = shards
        database = databases
        map = ShardMap(count: shards.count)
        self.journal = journal
        self.writeThrough = writeThrough
        self.maxAttempts = maxAttempts
        self.amountScale = amountScale
        self.failpoints = failpoints
        self.logger = logger
        for record in journal.recovered {
            if case .decision(let d) = record.body { decisionSequence[d.transferID] = record.sequence }
        }
    }

    package func newTransferID() -> String {
        name + "." + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    // MARK: - Transfers

    package func transfer(_ request: TransferRequest) -> TransferAnswer {
        let started = ContinuousClock.now
        let answer = decide(request)
        if case .created(let result) = answer { reads?.saw([result.from, result.to]) }
        if let metrics {
            let took = ContinuousClock.now - started
            metrics.answered(
                answer, seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        }
        return answer
    }

    /// The idempotency key is checked by the entry's unique index inside the transfer, not by a
    /// look-up before it: the common case (a new key) costs no extra query. A key already used
    /// makes the entry insert fail (duplicate key), everything rolls back, and the earlier entry
    /// answers. A refusal is checked the same way before it is answered, so a replay whose
    /// accounts changed since (now short of funds, frozen) still gets its first answer.
    private func decide(_ request: TransferRequest) -> TransferAnswer {
        if request.from == request.to { return lookUp(request) ?? .refused(.sameAccount) }
        let reservation: RiskReservation?
        switch checkRisk(request) {
        case .proceed(let accepted): reservation = accepted
        case .answer(let answer): return lookUp(request) ?? answer
        }
        let outcome = run(request)
        settleRisk(reservation, after: outcome)
        switch outcome {
        case .committed(let result): return .created(result)
        case .refused(let refusal): return lookUp(request) ?? .refused(refusal)
        case .unavailable(let reason): return .unavailable(reason)
        case .decidedNotCommitted(let id, _, let reason): return .pending(transferID: id, reason: reason)
        case .duplicateKey:
            return lookUp(request) ?? .unavailable("idempotency key taken by a transfer not yet visible; retry")
        }
    }

    /// The answer of an earlier transfer with this key, or nil when there is none (or its shard
    /// can't be read: then the transfer itself will fail or find the duplicate).
    private func lookUp(_ request: TransferRequest) -> TransferAnswer? {
        let shard = map.shard(ofKey: request.idempotencyKey)
        guard let found = try? entry(where: "idempotency_key = \(request.idempotencyKey.sqlQuoted)", shard: shard)
        else { return nil }
        guard found.from.id == request.from, found.to.id == request.to,
            found.amountMinor == request.amount.minorUnits
        else { return .conflict(transferID: found.transferID) }
        return .replayed(result(of: found))
    }

    package func result(of entry: EntryRow) -> TransferResult {
        TransferResult(
            transferID: entry.transferID, from: entry.from, to: entry.to,
            journalSequence: sequenceLock.withLock { decisionSequence[entry.transferID] ?? 0 }, wroteThrough: true)
    }

    private func run(_ request: TransferRequest) -> TransferOutcome {
        var machine = TransferMachine(
            request: request, shards: map.shards(for: request), entryShard: map.shard(ofKey: request.idempotencyKey),
            transferID: newTransferID(), maxAttempts: maxAttempts, onePhaseSingleShard: onePhaseSingleShard)
        var branches: [Int: ShardBranch] = [:]
        var borrowed: [Int: MySQLConnection] = [:]
        var broken: Set<Int> = []
        defer {
            for (shard, connection) in borrowed { shards[shard].giveBack(connection, healthy: !broken.contains(shard)) }
        }
        var action = machine.start()
        while true {
            switch action {
            case .work(let shard):
                if borrowed[shard] == nil {
                    do {
                        borrowed[shard] = try shards[shard].borrow()
                    } catch {
                        action = machine.worked(.failed("shard \(shard): \(error)"))
                        continue
                    }
                }
                guard let connection = borrowed[shard] else { continue }
                let branch = ShardBranch(
                    shard: shard, connection: connection, database: database[shard],
                    xid: XID(transferID: machine.transferID, shard: shard))
                branches[shard] = branch
                let here = [request.from, request.to].filter { map.shard(ofAccount: $0) == shard }
                let result = branch.work(request: request, accountsHere: here)
                if case .failed = result { broken.insert(shard) }
                action = machine.worked(result)
            case .insertEntry(let shard, let entry):
                guard let branch = branches[shard] else { return .unavailable("internal: no branch on shard \(shard)") }
                let result = branch.insertEntry(entry)
                if case .failed = result { broken.insert(shard) }
                failpoints.hit(.beforePrepare)
                action = machine.entryInserted(result)
            case .prepare(let shard):
                guard let branch = branches[shard] else { return .unavailable("internal: no branch on shard \(shard)") }
                let failure = branch.prepare()
                if failure != nil { broken.insert(shard) }
                if failure == nil, shard == machine.shards.last { failpoints.hit(.afterPrepare) }
                action = machine.prepared(failure: failure)
            case .end(let shard):
                guard let branch = branches[shard] else { return .unavailable("internal: no branch on shard \(shard)") }
                let failure = branch.end()
                if failure != nil { broken.insert(shard) }
                if failure == nil { failpoints.hit(.afterPrepare) }
                action = machine.prepared(failure: failure)
            case .commitOnePhase(let shard):
                guard let branch = branches[shard] else { return .unavailable("internal: no branch on shard \(shard)") }
                let failure = branch.commitOnePhase()
                if failure == nil { metrics?.xa("commit") } else { broken.insert(shard) }
                action = machine.committed(failure: failure)
                if case .finish(.decidedNotCommitted) = action {
                    resolver.add(
                        .init(
                            shard: shard, xid: XID(transferID: machine.transferID, shard: shard), kind: .verify,
                            accounts: [request.from, request.to]))
                }
            case .rollback(let started):
                metrics?.xa("rollback", count: started.count)
                for shard in started {
                    guard let branch = branches[shard] else { continue }
                    if branch.rollback() { continue }
                    // The connection is lost: give its pool slot back before taking a fresh one,
                    // or many transfers hit by the same shard failure could wait on each other.
                    if let lost = borrowed.removeValue(forKey: shard) { shards[shard].giveBack(lost, healthy: false) }
                    rollbackOnFreshConnection(branch.xid, shard: shard)
                }
                branches = [:]
                action = machine.rolledBack()
            case .writeDecision(let decision):
                let result: Result<UInt64, JournalError>
                do {
                    result = .success(try journal.append(.decision(decision), durable: true))
                } catch {
                    result = .failure(error)
                }
                if case .success(let sequence) = result {
                    sequenceLock.withLock { decisionSequence[decision.transferID] = sequence }
                    failpoints.hit(.afterDecision)
                }
                action = machine.decisionWritten(result)
            case .commit(let shard):
                guard let branch = branches[shard] else { return .unavailable("internal: no branch on shard \(shard)") }
                if shard != machine.shards.first { failpoints.hit(.betweenCommits) }
                let failure = branch.commit()
                if failure == nil { metrics?.xa("commit") }
                if let failure {
                    broken.insert(shard)
                    logger.log(
                        .warning, "ledger: commit failed after the decision; the resolver (or recovery) commits it",
                        [
                            "transfer.id": .string(machine.transferID), "reason": .string(failure),
                        ])
                }
                action = machine.committed(failure: failure)
                if case .finish(.decidedNotCommitted) = action {
                    for later in machine.shards where later >= shard {
                        resolver.add(
                            .init(
                                shard: later, xid: XID(transferID: machine.transferID, shard: later), kind: .commit,
                                accounts: [request.from, request.to]))
                    }
                }
            case .writeThrough(let accounts):
                failpoints.hit(.afterCommit)
                action = machine.wroteThrough(ok: writeThroughAndMark(accounts, transferID: machine.transferID))
            case .retry(let milliseconds):
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                branches = [:]
                action = machine.start(transferID: newTransferID())
            case .finish(let outcome):
                return outcome
            }
        }
    }

    /// Writes the accounts through; on success appends a `completed` record (not fsync'd: it
    /// only spares recovery a repeat).
    private func writeThroughAndMark(_ accounts: [AccountState], transferID: String) -> Bool {
        guard let writeThrough else {
            _ = try? journal.append(.completed(transferID: transferID), durable: false)
            return true
        }
        do {
            try writeThrough.apply(accounts)
        } catch {
            logger.log(
                .warning, "ledger: write-through failed; the daemon converges the keys",
                [
                    "transfer.id": .string(transferID), "reason": .string(error.description),
                ])
            return false
        }
        _ = try? journal.append(.completed(transferID: transferID), durable: false)
        return true
    }

    /// A prepared branch outlives its connection: roll it back from another one. When that fails
    /// too, the resolver retries (and recovery would roll it back: no decision was written).
    private func rollbackOnFreshConnection(_ xid: XID, shard: Int) {
        do {
            _ = try shards[shard].with { connection throws(MySQLError) in
                try connection.execute("XA ROLLBACK \(xid.sql)")
            }
        } catch  where error.code == 1397 {
            // Unknown XID: the branch was never prepared (the server dropped it with the connection).
        } catch {
            resolver.add(.init(shard: shard, xid: xid, kind: .rollback, accounts: []))
            logger.log(
                .warning, "ledger: rollback pending until the shard answers",
                [
                    "xid": .string(xid.description), "reason": .string(error.description),
                ])
        }
    }

    /// Whether a one-phase transfer's commit happened, from its entry row on `shard`. The read
    /// locks the row (LOCK IN SHARE MODE), so a commit still in progress on the shard (its
    /// coordinator gone mid-commit) is waited for, never mistaken for absent. When it did not
    /// happen, an `aborted` record is made durable: recovery will not ask again.
    package func settleOnePhase(transferID: String, shard: Int) throws(MySQLError) -> Bool {
        let rows = try shards[shard].with { connection throws(MySQLError) in
            try connection.query(
                "SELECT transfer_id FROM `\(database[shard])`.entries WHERE transfer_id = \(transferID.sqlQuoted) "
                    + "LOCK IN SHARE MODE")
        }
        if !rows.rows.isEmpty { return true }
        do {
            try journal.append(.aborted(transferID: transferID), durable: true)
        } catch {
            throw MySQLError(
                operation: .query, code: 0, sqlState: "HY000", message: "journal: \(error.message)", context: transferID
            )
        }
        return false
    }

    // MARK: - Reads

    package func account(_ id: Int64) throws(MySQLError) -> AccountState? {
        let shard = map.shard(ofAccount: id)
        let rows = try shards[shard].with { connection throws(MySQLError) in
            try connection.query(
                "SELECT id, owner, currency, balance, version, status FROM `\(database[shard])`.accounts WHERE id = \(id)"
            )
        }
        return ShardBranch.accountStates(rows).first
    }

    /// The entry of transfer `id` (searched on every shard).
    package func transferEntry(_ id: String) throws(MySQLError) -> EntryRow? {
        for shard in shards.indices {
            if let found = try entry(where: "transfer_id = \(id.sqlQuoted)", shard: shard) { return found }
        }
        return nil
    }

    private func entry(where condition: String, shard: Int) throws(MySQLError) -> EntryRow? {
        let rows = try shards[shard].with { connection throws(MySQLError) in
            try connection.query(
                "SELECT transfer_id, idempotency_key, from_account, to_account, amount, from_balance, from_version, "
                    + "to_balance, to_version FROM `\(database[shard])`.entries WHERE \(condition)")
        }
        guard let id = rows.value("transfer_id"), let key = rows.value("idempotency_key"),
            let from = rows.value("from_account").flatMap({ Int64($0) }),
            let to = rows.value("to_account").flatMap({ Int64($0) }),
            let amount = rows.value("amount").flatMap({ Int64($0) }),
            let fromBalance = rows.value("from_balance").flatMap({ Int64($0) }),
            let fromVersion = rows.value("from_version").flatMap({ UInt64($0) }),
            let toBalance = rows.value("to_balance").flatMap({ Int64($0) }),
            let toVersion = rows.value("to_version").flatMap({ UInt64($0) })
        else { return nil }
        return EntryRow(
            transferID: id, idempotencyKey: key,
            from: AccountState(
                id: from, owner: "", currency: "", balanceMinor: fromBalance, version: fromVersion, status: ""),
            to: AccountState(id: to, owner: "", currency: "", balanceMinor: toBalance, version: toVersion, status: ""),
            amountMinor: amount)
    }
}
