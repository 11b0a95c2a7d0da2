import Foundation
import MySQLSource

/// The steps a transfer's time is spent in (`sluice_ledger_step_seconds{kind}`): where its
/// latency goes, as an operator (and `sluice bench ledger`) sees it.
package enum LedgerStep: String, CaseIterable, Sendable {
    /// XA START, the debit and credit, the entry, XA END and PREPARE, on every shard touched.
    case shards
    /// The commit decision appended to the journal and fsync'd (a group commit).
    case journal
    /// XA COMMIT (or the one-phase commit) on every shard.
    case commit
    /// Both accounts written to Redis, version-checked.
    case writeThrough = "write_through"
    /// Rollbacks, and the pauses before a retry after a deadlock or lock-wait timeout.
    case rollback

    init?(_ action: TransferMachine.Action) {
        switch action {
        case .work, .insertEntry, .prepare, .end: self = .shards
        case .writeDecision: self = .journal
        case .commit, .commitOnePhase: self = .commit
        case .writeThrough: self = .writeThrough
        case .rollback, .retry: self = .rollback
        case .finish: return nil
        }
    }
}

/// One transfer being run: the protocol's state machine and what it holds on the shards.
struct TransferRun {
    let request: TransferRequest
    var machine: TransferMachine
    var branches: [Int: ShardBranch] = [:]
    var borrowed: [Int: MySQLConnection] = [:]
    /// Shards whose connection must not go back to the pool.
    var broken: Set<Int> = []
    /// Seconds spent in each step.
    var seconds: [LedgerStep: Double] = [:]
}

/// What an action led to: the machine's next action, or an answer now.
enum TransferStep {
    case next(TransferMachine.Action)
    case done(TransferOutcome)
}

extension LedgerService {
    /// Runs `TransferMachine` against the shards, the journal and Redis: each action it asks for
    /// is done here and its result handed back, until it finishes.
    func run(_ request: TransferRequest) -> TransferOutcome {
        var run = TransferRun(
            request: request,
            machine: TransferMachine(
                request: request, shards: map.shards(for: request),
                entryShard: map.shard(ofKey: request.idempotencyKey), transferID: newTransferID(),
                maxAttempts: maxAttempts, onePhaseSingleShard: onePhaseSingleShard))
        defer {
            for (shard, connection) in run.borrowed {
                shards[shard].giveBack(connection, healthy: !run.broken.contains(shard))
            }
        }
        var action = run.machine.start()
        while true {
            guard let step = LedgerStep(action) else {
                metrics?.steps(run.seconds)
                if case .finish(let outcome) = action { return outcome }
                return .unavailable("internal: no step for \(action)")
            }
            let began = ContinuousClock.now
            let next = perform(action, &run)
            let took = ContinuousClock.now - began
            run.seconds[step, default: 0] +=
                Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            switch next {
            case .next(let following): action = following
            case .done(let outcome): return outcome
            }
        }
    }

    private func perform(_ action: TransferMachine.Action, _ run: inout TransferRun) -> TransferStep {
        switch action {
        case .work(let shard): return work(shard, &run)
        case .insertEntry(let shard, let entry):
            guard let branch = run.branches[shard] else { return Self.noBranch(shard) }
            let result = branch.insertEntry(entry)
            if case .failed = result { run.broken.insert(shard) }
            failpoints.hit(.beforePrepare)
            return .next(run.machine.entryInserted(result))
        case .prepare(let shard), .end(let shard):
            guard let branch = run.branches[shard] else { return Self.noBranch(shard) }
            return .next(prepare(branch, onePhase: action == .end(shard: shard), &run))
        case .commitOnePhase(let shard):
            guard let branch = run.branches[shard] else { return Self.noBranch(shard) }
            return .next(commitOnePhase(branch, &run))
        case .rollback(let started): return .next(rollback(started, &run))
        case .writeDecision(let decision): return .next(writeDecision(decision, &run))
        case .commit(let shard):
            guard let branch = run.branches[shard] else { return Self.noBranch(shard) }
            return .next(commit(branch, &run))
        case .writeThrough(let accounts):
            failpoints.hit(.afterCommit)
            return .next(
                run.machine.wroteThrough(ok: writeThroughAndMark(accounts, transferID: run.machine.transferID)))
        case .retry(let milliseconds):
            Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            run.branches = [:]
            return .next(run.machine.start(transferID: newTransferID()))
        case .finish(let outcome): return .done(outcome)
        }
    }

    private static func noBranch(_ shard: Int) -> TransferStep {
        .done(.unavailable("internal: no branch on shard \(shard)"))
    }

    /// XA END and PREPARE (two-phase), or XA END only (`onePhase`: the commit follows in one phase).
    private func prepare(_ branch: ShardBranch, onePhase: Bool, _ run: inout TransferRun) -> TransferMachine.Action {
        let failure = onePhase ? branch.end() : branch.prepare()
        if failure != nil { run.broken.insert(branch.shard) }
        if failure == nil, onePhase || branch.shard == run.machine.shards.last { failpoints.hit(.afterPrepare) }
        return run.machine.prepared(failure: failure)
    }

    /// XA START on the shard (a pooled connection) and the accounts' updates there.
    private func work(_ shard: Int, _ run: inout TransferRun) -> TransferStep {
        if run.borrowed[shard] == nil {
            do {
                run.borrowed[shard] = try shards[shard].borrow()
            } catch {
                return .next(run.machine.worked(.failed("shard \(shard): \(error)")))
            }
        }
        guard let connection = run.borrowed[shard] else { return .next(.work(shard: shard)) }
        let branch = ShardBranch(
            shard: shard, connection: connection, database: database[shard],
            xid: XID(transferID: run.machine.transferID, shard: shard))
        run.branches[shard] = branch
        let request = run.request
        let here = [request.from, request.to].filter { map.shard(ofAccount: $0) == shard }
        let result = branch.work(request: request, accountsHere: here)
        if case .failed = result { run.broken.insert(shard) }
        return .next(run.machine.worked(result))
    }

    private func commitOnePhase(_ branch: ShardBranch, _ run: inout TransferRun) -> TransferMachine.Action {
        let failure = branch.commitOnePhase()
        if failure == nil { metrics?.xa("commit") } else { run.broken.insert(branch.shard) }
        let next = run.machine.committed(failure: failure)
        if case .finish(.decidedNotCommitted) = next {
            resolver.add(
                .init(
                    shard: branch.shard, xid: XID(transferID: run.machine.transferID, shard: branch.shard),
                    kind: .verify, accounts: [run.request.from, run.request.to]))
        }
        return next
    }

    private func rollback(_ started: [Int], _ run: inout TransferRun) -> TransferMachine.Action {
        metrics?.xa("rollback", count: started.count)
        for shard in started {
            guard let branch = run.branches[shard] else { continue }
            if branch.rollback() { continue }
            // The connection is lost: give its pool slot back before taking a fresh one,
            // or many transfers hit by the same shard failure could wait on each other.
            if let lost = run.borrowed.removeValue(forKey: shard) { shards[shard].giveBack(lost, healthy: false) }
            rollbackOnFreshConnection(branch.xid, shard: shard)
        }
        run.branches = [:]
        return run.machine.rolledBack()
    }

    private func writeDecision(_ decision: JournalDecision, _ run: inout TransferRun) -> TransferMachine.Action {
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
        return run.machine.decisionWritten(result)
    }

    private func commit(_ branch: ShardBranch, _ run: inout TransferRun) -> TransferMachine.Action {
        let shard = branch.shard
        if shard != run.machine.shards.first { failpoints.hit(.betweenCommits) }
        let failure = branch.commit()
        if failure == nil { metrics?.xa("commit") }
        if let failure {
            run.broken.insert(shard)
            logger.log(
                .warning, "ledger: commit failed after the decision; the resolver (or recovery) commits it",
                ["transfer.id": .string(run.machine.transferID), "reason": .string(failure)])
        }
        let next = run.machine.committed(failure: failure)
        if case .finish(.decidedNotCommitted) = next {
            for later in run.machine.shards where later >= shard {
                resolver.add(
                    .init(
                        shard: later, xid: XID(transferID: run.machine.transferID, shard: later), kind: .commit,
                        accounts: [run.request.from, run.request.to]))
            }
        }
        return next
    }
}
