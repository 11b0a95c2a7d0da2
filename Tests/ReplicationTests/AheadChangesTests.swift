import Binlog
import XCTest

@testable import Replication

/// Finding the changes a DR cluster holds that the promoted server lacks (the rows ahead that
/// `sluice failover` rewrites): which GTIDs are past the promoted position, and how a partition's
/// tail is read backwards until the first change the promoted server has.
final class AheadChangesTests: XCTestCase {
    private let judge = AheadChanges(promoted: MariaDBGTIDPosition(parsing: "0-1-60,1-1-7")!)
    private let partition = DROffsets.Partition(topic: "sluice.payments.accounts", partition: 2)

    private func change(_ gtid: String?, offset: Int64) throws -> DRChange {
        let row = RowChange(
            database: "payments", table: "accounts", kind: .update, columns: ["id", "version"],
            before: [.int(2), .int(59)], after: [.int(2), .int(60)])
        let origin = KafkaChangeMessage.Origin(
            serverID: 1, gtid: gtid, timestamp: 1_700_000_000, end: BinlogPosition(file: "bin.000001", offset: 400))
        let m = KafkaChangeMessage(change: row, origin: origin, version: "60", topic: partition.topic)
        return try DRChange(
            topic: m.topic, partition: partition.partition, offset: offset, value: m.value,
            headers: m.headers.map { ($0.name, Array($0.value.utf8)) })
    }

    func testAGTIDIsAheadWhenItsDomainsSequenceIsPastThePromotedPositionOrItsDomainIsUnknown() {
        XCTAssertEqual(judge.isAhead("0-1-61"), true)
        XCTAssertEqual(judge.isAhead("0-2-61"), true, "another server's GTID, same domain: by sequence")
        XCTAssertEqual(judge.isAhead("0-1-60"), false)
        XCTAssertEqual(judge.isAhead("0-1-3"), false)
        XCTAssertEqual(judge.isAhead("1-1-8"), true)
        XCTAssertEqual(judge.isAhead("5-1-1"), true, "a domain the promoted server never had")
        XCTAssertNil(judge.isAhead(nil))
        XCTAssertNil(judge.isAhead("3E11FA47-71CA-11E1-9E33-C80AA9429562:23"), "a MySQL GTID can't be judged here")
    }

    /// The changes ahead are the tail's suffix after the last change the promoted server has;
    /// the scan stops there, in the first window.
    func testTheTailStopsAtTheFirstChangeThePromotedServerHas() throws {
        var tail = AheadChanges.Tail(partition: partition, end: 5_000, window: 1_000)
        XCTAssertEqual([tail.start, tail.end], [4_000, 5_000])
        let window = [
            try change("0-1-59", offset: 4_990), try change("0-1-60", offset: 4_995),
            try change("0-1-61", offset: 4_997),
            try change("0-1-62", offset: 4_999),
        ]
        tail.take(window, read: 1_000, judge: judge)
        XCTAssertTrue(tail.finished)
        XCTAssertEqual(tail.ahead.map(\.offset), [4_997, 4_999])
        XCTAssertEqual(tail.ahead.map(\.gtid), ["0-1-61", "0-1-62"])
        XCTAssertEqual(tail.messagesRead, 1_000)
    }

    /// A window entirely ahead: the next one, twice as long, ends where it started, and what it
    /// finds comes first; the partition's start ends the scan.
    func testAWindowEntirelyAheadReadsFurtherBackUntilThePartitionsStart() throws {
        var tail = AheadChanges.Tail(partition: partition, end: 2_500, window: 1_000)
        tail.take(
            [try change("0-1-70", offset: 1_600), try change("0-1-71", offset: 2_400)], read: 1_000, judge: judge)
        XCTAssertFalse(tail.finished)
        XCTAssertEqual([tail.start, tail.end], [0, 1_500], "twice as long, clipped at offset 0")
        tail.take([try change("0-1-69", offset: 900)], read: 1_500, judge: judge)
        XCTAssertTrue(tail.finished, "offset 0 reached")
        XCTAssertEqual(tail.ahead.map(\.offset), [900, 1_600, 2_400])
    }

    /// A change without a GTID can't be judged: the scan stops there rather than guess; an empty
    /// window (the partition's start deleted) or an empty partition ends it too.
    func testAnUnjudgedChangeAnEmptyWindowOrAnEmptyPartitionEndTheScan() throws {
        var tail = AheadChanges.Tail(partition: partition, end: 3_000, window: 1_000)
        tail.take([try change(nil, offset: 2_100), try change("0-1-99", offset: 2_200)], read: 1_000, judge: judge)
        XCTAssertTrue(tail.finished)
        XCTAssertEqual(tail.ahead.map(\.offset), [2_200])

        var deleted = AheadChanges.Tail(partition: partition, end: 3_000, window: 1_000)
        deleted.take([], read: 0, judge: judge)
        XCTAssertTrue(deleted.finished)
        XCTAssertTrue(deleted.ahead.isEmpty)

        XCTAssertTrue(AheadChanges.Tail(partition: partition, end: 0, window: 1_000).finished)
    }

    /// Where a DR cluster that may be ahead stands on the promoted server's binlog: never past it,
    /// and only in the domains that server has.
    func testACoveredPositionIsClampedToThePromotedServersPosition() {
        let promoted = MariaDBGTIDPosition(parsing: "0-1-60,1-1-7")!
        XCTAssertEqual(MariaDBGTIDPosition(parsing: "0-1-61,1-1-5")!.clamped(to: promoted).description, "0-1-60,1-1-5")
        XCTAssertEqual(MariaDBGTIDPosition(parsing: "0-1-60,2-1-9")!.clamped(to: promoted).description, "0-1-60")
        XCTAssertEqual(MariaDBGTIDPosition(parsing: "0-1-12")!.clamped(to: promoted).description, "0-1-12")
    }

    /// The daemon's refusal of a checkpoint past the promoted server's binlog: counted per
    /// domain, naming both positions and the way out; nothing past it, nothing said.
    func testACheckpointPastTheServersBinlogIsRefusedWithTheCountAndTheWayOut() throws {
        let server = SourceIdentity(serverID: 2, flavor: "mariadb")
        let binlog = MariaDBGTIDPosition(parsing: "0-1-116,1-3-9")!
        let why = try XCTUnwrap(
            ResumePlan.pastTheBinlog(MariaDBGTIDPosition(parsing: "0-1-178,1-3-9")!, binlog: binlog, server: server))
        XCTAssertTrue(
            why.hasPrefix(
                "the checkpoint (gtid 0-1-178,1-3-9) is past the binlog of mariadb server_id 2 (gtid 0-1-116,1-3-9): "
                    + "62 transaction(s) of the old server reached the sinks but not this server"), why)
        XCTAssertTrue(why.contains("Run `sluice repair-ahead --config FILE`"), why)
        XCTAssertNil(ResumePlan.pastTheBinlog(MariaDBGTIDPosition(parsing: "0-1-116")!, binlog: binlog, server: server))
        XCTAssertNil(
            ResumePlan.pastTheBinlog(MariaDBGTIDPosition(parsing: "0-1-100,1-3-2")!, binlog: binlog, server: server))
        XCTAssertNotNil(
            ResumePlan.pastTheBinlog(MariaDBGTIDPosition(parsing: "2-1-1")!, binlog: binlog, server: server),
            "a domain the server never had")
    }
}
