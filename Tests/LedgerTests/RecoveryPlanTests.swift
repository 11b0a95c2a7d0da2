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

    func testXARecoverRowsParseAndMalformedOnesAreDropped() {
        XCTAssertEqual(
            XID.fromRecoverRow(formatID: "21324", gtridLength: "8", bqualLength: "2", data: "ledger.as0"),
            XID(gtrid: "ledger.a", bqual: "s0"))
        XCTAssertNil(XID.fromRecoverRow(formatID: "21324", gtridLength: "9", bqualLength: "2", data: "ledger.as0"))
        XCTAssertNil(XID.fromRecoverRow(formatID: nil, gtridLength: "8", bqualLength: "2", data: "ledger.as0"))
        XCTAssertEqual(XID(gtrid: "l.a", bqual: "s1").sql, "X'6c2e61',X'7331',21324")
    }
}
