import XCTest

@testable import Ledger

/// Presumed abort: commit what the journal decided, roll back the rest, leave strangers alone.
final class RecoveryPlanTests: XCTestCase {
    private func decision(_ id: String) -> JournalDecision {
        JournalDecision(transferID: id, idempotencyKey: "k-" + id, from: 1, to: 2, amountMinor: 5, shards: [0, 1])
    }

    func testCommitsDecidedRollsBackUndecidedAndIgnoresForeignXIDs() {
        let journal = [
            JournalRecord(sequence: 1, body: .decision(decision("ledger.a"))),
            JournalRecord(sequence: 2, body: .completed(transferID: "ledger.a")),
            JournalRecord(sequence: 3, body: .decision(decision("ledger.b"))),
        ]
        let inDoubt: [Int: [XID]] = [
            0: [XID(transferID: "ledger.b", shard: 0), XID(transferID: "ledger.c", shard: 0)],
            1: [
                XID(transferID: "ledger.b", shard: 1), XID(formatID: 1, gtrid: "ledger.d", bqual: "s1"),
                XID(transferID: "other.e", shard: 1),
            ],
        ]
        let plan = RecoveryPlan.make(ledgerName: "ledger", inDoubt: inDoubt, journal: journal)
        XCTAssertEqual(
            plan.steps,
            [
                .init(kind: .commit, shard: 0, xid: XID(transferID: "ledger.b", shard: 0)),
                .init(kind: .rollback, shard: 0, xid: XID(transferID: "ledger.c", shard: 0)),
                .init(kind: .commit, shard: 1, xid: XID(transferID: "ledger.b", shard: 1)),
            ])
        XCTAssertEqual(plan.foreign.map(\.xid.gtrid), ["ledger.d", "other.e"])
        XCTAssertEqual(plan.writeThrough, [decision("ledger.b")], "a completed transfer is not written again")
    }

    func testOnePhaseDecisionsAreVerifiedNotCommitted() {
        var onePhase = decision("ledger.p")
        onePhase.onePhase = true
        onePhase.shards = [1]
        var settled = onePhase
        settled.transferID = "ledger.q"
        let journal = [
            JournalRecord(sequence: 1, body: .decision(onePhase)),
            JournalRecord(sequence: 2, body: .decision(settled)),
            JournalRecord(sequence: 3, body: .aborted(transferID: "ledger.q")),
            JournalRecord(sequence: 4, body: .decision(decision("ledger.r"))),
        ]
        let plan = RecoveryPlan.make(ledgerName: "ledger", inDoubt: [:], journal: journal)
        XCTAssertEqual(plan.verify, [onePhase])
        XCTAssertEqual(plan.writeThrough, [decision("ledger.r")])
        XCTAssertEqual(plan.steps, [])
    }

    func testXARecoverRowsParseAndMalformedOnesAreDropped() {
        XCTAssertEqual(
            XID.fromRecoverRow(formatID: "21324", gtridLength: "8", bqualLength: "2", data: "ledger.as0"),
            XID(gtrid: "ledger.a", bqual: "s0"))
        XCTAssertNil(XID.fromRecoverRow(formatID: "21324", gtridLength: "9", bqualLength: "2", data: "ledger.as0"))
        XCTAssertNil(XID.fromRecoverRow(formatID: nil, gtridLength: "8", bqualLength: "2", data: "ledger.as0"))
        XCTAssertEqual(XID(gtrid: "l.a", bqual: "s1").sql, "X'6c2e61',X'7331',21324")
    }
}
