import XCTest

@testable import Ledger

/// The coordinator's rules, step by step, without a database.
final class TransferMachineTests: XCTestCase {
    private let request = TransferRequest(
        idempotencyKey: "k1", from: 1, to: 2, amount: Amount(minorUnits: 500, scale: 2))
    private let from = AccountState(id: 1, owner: "a", currency: "EUR", balanceMinor: 500, version: 2, status: "active")
    private let to = AccountState(id: 2, owner: "b", currency: "EUR", balanceMinor: 1500, version: 7, status: "active")

    private func machine(shards: [Int] = [0, 1], entryShard: Int = 1, attempts: Int = 3) -> TransferMachine {
        TransferMachine(request: request, shards: shards, entryShard: entryShard, transferID: "ledger.t1", maxAttempts: attempts)
    }

    func testTwoShardsWorkPrepareDecideCommitWriteThroughInThatOrder() {
        var m = machine()
        XCTAssertEqual(m.start(), .work(shard: 0))
        XCTAssertEqual(m.worked(.done([to])), .work(shard: 1))
        XCTAssertEqual(
            m.worked(.done([from])),
            .insertEntry(shard: 1, EntryRow(transferID: "ledger.t1", request: request, from: from, to: to)))
        XCTAssertEqual(m.entryInserted(.done([])), .prepare(shard: 0))
        XCTAssertEqual(m.prepared(failure: nil), .prepare(shard: 1))
        XCTAssertEqual(
            m.prepared(failure: nil),
            .writeDecision(
                JournalDecision(
                    transferID: "ledger.t1", idempotencyKey: "k1", from: 1, to: 2, amountMinor: 500, shards: [0, 1])))
        XCTAssertEqual(m.decisionWritten(.success(42)), .commit(shard: 0))
        XCTAssertEqual(m.committed(failure: nil), .commit(shard: 1))
        XCTAssertEqual(m.committed(failure: nil), .writeThrough([from, to]))
        XCTAssertEqual(
            m.wroteThrough(ok: true),
            .finish(
                .committed(
                    TransferResult(transferID: "ledger.t1", from: from, to: to, journalSequence: 42, wroteThrough: true))))
    }

    func testARefusalOnTheSecondShardRollsBackBothAndFinishes() {
        var m = machine()
        _ = m.start()
        _ = m.worked(.done([to]))
        XCTAssertEqual(m.worked(.refused(.insufficientFunds)), .rollback(shards: [0, 1]))
        XCTAssertEqual(m.rolledBack(), .finish(.refused(.insufficientFunds)))
    }

    func testAPrepareFailureAbortsEverywhere() {
        var m = machine()
        _ = m.start()
        _ = m.worked(.done([to]))
        _ = m.worked(.done([from]))
        _ = m.entryInserted(.done([]))
        _ = m.prepared(failure: nil)
        XCTAssertEqual(m.prepared(failure: "shard 1 gone"), .rollback(shards: [0, 1]))
        XCTAssertEqual(m.rolledBack(), .finish(.unavailable("shard 1 gone")))
    }

    func testAJournalFailureAbortsEverywhere() {
        var m = machine()
        _ = m.start()
        _ = m.worked(.done([to]))
        _ = m.worked(.done([from]))
        _ = m.entryInserted(.done([]))
        _ = m.prepared(failure: nil)
        _ = m.prepared(failure: nil)
        let error = JournalError(.io, file: "j", "fsync failed: No space left on device")
        XCTAssertEqual(m.decisionWritten(.failure(error)), .rollback(shards: [0, 1]))
        XCTAssertEqual(m.rolledBack(), .finish(.unavailable("journal: fsync failed: No space left on device")))
    }

    func testACommitFailureAfterTheDecisionNeverRollsBack() {
        var m = machine()
        _ = m.start()
        _ = m.worked(.done([to]))
        _ = m.worked(.done([from]))
        _ = m.entryInserted(.done([]))
        _ = m.prepared(failure: nil)
        _ = m.prepared(failure: nil)
        _ = m.decisionWritten(.success(9))
        _ = m.committed(failure: nil)
        XCTAssertEqual(
            m.committed(failure: "lost connection"),
            .finish(.decidedNotCommitted(transferID: "ledger.t1", journalSequence: 9, reason: "lost connection")))
    }

    func testDeadlocksAreRetriedWithBackoffThenGivenUp() {
        var m = machine(attempts: 3)
        XCTAssertEqual(m.start(), .work(shard: 0))
        XCTAssertEqual(m.worked(.retryable("deadlock")), .rollback(shards: [0]))
        XCTAssertEqual(m.rolledBack(), .retry(afterMilliseconds: 10))
        XCTAssertEqual(m.start(transferID: "ledger.t2"), .work(shard: 0))
        XCTAssertEqual(m.transferID, "ledger.t2")
        _ = m.worked(.done([to]))
        XCTAssertEqual(m.worked(.retryable("lock wait timeout")), .rollback(shards: [0, 1]))
        XCTAssertEqual(m.rolledBack(), .retry(afterMilliseconds: 20))
        _ = m.start(transferID: "ledger.t3")
        _ = m.worked(.retryable("deadlock"))
        XCTAssertEqual(m.rolledBack(), .finish(.unavailable("gave up after 3 attempts: deadlock")))
    }

    func testADuplicateIdempotencyKeyRollsBackAndFinishesForALookUp() {
        var m = machine()
        _ = m.start()
        _ = m.worked(.done([to]))
        _ = m.worked(.done([from]))
        XCTAssertEqual(m.entryInserted(.duplicateKey), .rollback(shards: [0, 1]))
        XCTAssertEqual(m.rolledBack(), .finish(.duplicateKey))
    }

    func testTheEntryShardIsTouchedEvenWithoutAnAccountOnIt() {
        var m = machine(shards: [0], entryShard: 2)
        XCTAssertEqual(m.shards, [0, 2])
        XCTAssertEqual(m.start(), .work(shard: 0))
        XCTAssertEqual(m.worked(.done([from, to])), .work(shard: 2))
        XCTAssertEqual(
            m.worked(.done([])),
            .insertEntry(shard: 2, EntryRow(transferID: "ledger.t1", request: request, from: from, to: to)))
    }

    func testResultsOutOfOrderEndTheTransferInsteadOfTrapping() {
        var m = machine()
        XCTAssertEqual(
            m.committed(failure: nil), .finish(.unavailable("internal: commit result in phase idle")))
    }

    func testBackoffDoublesUpToHalfASecond() {
        XCTAssertEqual((1...8).map(TransferMachine.backoffMilliseconds), [10, 20, 40, 80, 160, 320, 500, 500])
    }
}
