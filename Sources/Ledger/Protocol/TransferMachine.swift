/// The coordinator's side of one transfer, as a value: feed it what the shards and the journal
/// answered, it returns the next thing to do. No I/O, no clock (backoff delays are returned).
///
/// Rules:
/// 1. Work each touched shard in ascending shard order (XA START, debit/credit in account-id
///    order), then insert the entry row (with both new balances) on the idempotency key's shard,
///    then XA END + XA PREPARE each shard.
/// 2. Any refusal, failure or retryable error before the decision is durable rolls back every
///    branch started so far (presumed abort), then: a refusal or duplicate key finishes; a
///    deadlock or lock-wait timeout retries the whole transfer after a backoff, at most
///    `maxAttempts` times in all; a failure finishes as unavailable.
/// 3. When every branch is prepared, write the decision to the journal (durable). A journal
///    failure rolls everything back: the decision never existed.
/// 4. After the decision: commit every shard. Never roll back from here on: a commit failure
///    ends as `decidedNotCommitted` and recovery (XA RECOVER + the journal) finishes the commit.
/// 5. When every shard committed: write through to Redis, then finish `committed`. A
///    write-through failure still finishes `committed` (the daemon converges the keys).
package struct TransferMachine: Sendable, Equatable {
    package enum Action: Sendable, Equatable {
        case work(shard: Int)
        /// Insert the entry row in the (still active) branch on `shard`.
        case insertEntry(shard: Int, EntryRow)
        case prepare(shard: Int)
        /// Roll back these branches (started, maybe prepared), then call `rolledBack()`.
        case rollback(shards: [Int])
        case writeDecision(JournalDecision)
        case commit(shard: Int)
        case writeThrough([AccountState])
        /// Wait this long, then call `start()` again (a new XID).
        case retry(afterMilliseconds: Int)
        case finish(TransferOutcome)
    }

    package let request: TransferRequest
    /// Shards touched, ascending.
    package let shards: [Int]
    /// The shard of the idempotency key (one of `shards`).
    package let entryShard: Int
    package let maxAttempts: Int
    package private(set) var transferID: String
    package private(set) var attempt = 0
    private var phase = Phase.idle
    private var started: [Int] = []
    private var accounts: [Int64: AccountState] = [:]
    private var afterRollback: Action?
    private var journalSequence: UInt64 = 0

    private enum Phase: Sendable, Equatable {
        case idle, working(Int), recordingEntry, preparing(Int), deciding, committing(Int), writingThrough, rollingBack, done
    }

    package init(request: TransferRequest, shards: [Int], entryShard: Int, transferID: String, maxAttempts: Int = 5) {
        self.request = request
        self.shards = Array(Set(shards + [entryShard])).sorted()
        self.entryShard = entryShard
        self.transferID = transferID
        self.maxAttempts = max(1, maxAttempts)
    }

    /// Begins an attempt; `transferID` names its XA branches (a retry gets a new one).
    package mutating func start(transferID: String? = nil) -> Action {
        if let transferID { self.transferID = transferID }
        attempt += 1
        started = []
        accounts = [:]
        afterRollback = nil
        guard let first = shards.first else { return finish(.unavailable("no shard to work on")) }
        phase = .working(0)
        started.append(first)
        return .work(shard: first)
    }

    package mutating func worked(_ result: ShardWork) -> Action {
        guard case .working(let index) = phase else { return unexpected("work result") }
        guard case .done(let states) = result else { return abort(on: result) }
        for state in states { accounts[state.id] = state }
        if index + 1 < shards.count {
            phase = .working(index + 1)
            started.append(shards[index + 1])
            return .work(shard: shards[index + 1])
        }
        guard let from = accounts[request.from], let to = accounts[request.to] else {
            return rollBack(then: .finish(.unavailable("the shards did not report both accounts")))
        }
        phase = .recordingEntry
        return .insertEntry(shard: entryShard, EntryRow(transferID: transferID, request: request, from: from, to: to))
    }

    package mutating func entryInserted(_ result: ShardWork) -> Action {
        guard phase == .recordingEntry else { return unexpected("entry result") }
        guard case .done = result else { return abort(on: result) }
        phase = .preparing(0)
        return .prepare(shard: shards[0])
    }

    private mutating func abort(on result: ShardWork) -> Action {
        switch result {
        case .done:
            return unexpected("abort on success")
        case .refused(let refusal):
            return rollBack(then: .finish(.refused(refusal)))
        case .duplicateKey:
            return rollBack(then: .finish(.duplicateKey))
        case .retryable(let reason):
            if attempt < maxAttempts {
                return rollBack(then: .retry(afterMilliseconds: Self.backoffMilliseconds(attempt: attempt)))
            }
            return rollBack(then: .finish(.unavailable("gave up after \(attempt) attempts: \(reason)")))
        case .failed(let reason):
            return rollBack(then: .finish(.unavailable(reason)))
        }
    }

    package mutating func prepared(failure: String?) -> Action {
        guard case .preparing(let index) = phase else { return unexpected("prepare result") }
        if let failure { return rollBack(then: .finish(.unavailable(failure))) }
        if index + 1 < shards.count {
            phase = .preparing(index + 1)
            return .prepare(shard: shards[index + 1])
        }
        phase = .deciding
        return .writeDecision(
            JournalDecision(
                transferID: transferID, idempotencyKey: request.idempotencyKey, from: request.from, to: request.to,
                amountMinor: request.amount.minorUnits, shards: shards))
    }

    /// The decision's journal write: its sequence once durable, or the failure.
    package mutating func decisionWritten(_ result: Result<UInt64, JournalError>) -> Action {
        guard phase == .deciding else { return unexpected("decision result") }
        switch result {
        case .failure(let error):
            return rollBack(then: .finish(.unavailable("journal: \(error.message)")))
        case .success(let sequence):
            journalSequence = sequence
            phase = .committing(0)
            return .commit(shard: shards[0])
        }
    }

    package mutating func committed(failure: String?) -> Action {
        guard case .committing(let index) = phase else { return unexpected("commit result") }
        if let failure {
            return finish(
                .decidedNotCommitted(transferID: transferID, journalSequence: journalSequence, reason: failure))
        }
        if index + 1 < shards.count {
            phase = .committing(index + 1)
            return .commit(shard: shards[index + 1])
        }
        phase = .writingThrough
        return .writeThrough([request.from, request.to].compactMap { accounts[$0] })
    }

    package mutating func wroteThrough(ok: Bool) -> Action {
        guard phase == .writingThrough else { return unexpected("write-through result") }
        guard let from = accounts[request.from], let to = accounts[request.to] else {
            return unexpected("write-through without both accounts")
        }
        return finish(
            .committed(
                TransferResult(
                    transferID: transferID, from: from, to: to, journalSequence: journalSequence, wroteThrough: ok)))
    }

    package mutating func rolledBack() -> Action {
        guard phase == .rollingBack, let next = afterRollback else { return unexpected("rollback result") }
        afterRollback = nil
        phase = isFinish(next) ? .done : .idle
        return next
    }

    /// 10, 20, 40 ... ms, at most 500 ms.
    package static func backoffMilliseconds(attempt: Int) -> Int {
        min(500, 10 << min(max(attempt - 1, 0), 6))
    }

    private mutating func rollBack(then next: Action) -> Action {
        afterRollback = next
        phase = .rollingBack
        return .rollback(shards: started)
    }

    private mutating func finish(_ outcome: TransferOutcome) -> Action {
        phase = .done
        return .finish(outcome)
    }

    private func isFinish(_ action: Action) -> Bool {
        if case .finish = action { return true }
        return false
    }

    private mutating func unexpected(_ what: String) -> Action {
        finish(.unavailable("internal: \(what) in phase \(phase)"))
    }
}
