import Binlog
import MySQLSource
import XCTest

/// Whether a MariaDB GTID start is past a server's `@@gtid_binlog_pos`, and by how many
/// transactions: per domain, a domain the server never wrote counting whole.
final class PastTheBinlogTests: XCTestCase {
    private func position(_ text: String) throws -> MariaDBGTIDPosition {
        try XCTUnwrap(MariaDBGTIDPosition(parsing: text), text)
    }

    func testWithinTheBinlogIsNotPast() throws {
        XCTAssertNil(PastTheBinlog(try position("0-1-100"), binlog: try position("0-1-100")))
        XCTAssertNil(PastTheBinlog(try position("0-1-90"), binlog: try position("0-1-100")))
        XCTAssertNil(PastTheBinlog(try position("0-1-90,1-2-5"), binlog: try position("0-1-100,1-2-5")))
        XCTAssertNil(PastTheBinlog(MariaDBGTIDPosition(), binlog: try position("0-1-100")), "an empty start")
    }

    func testTheTransactionsAheadAreCountedPerDomain() throws {
        let past = try XCTUnwrap(PastTheBinlog(try position("0-1-174,1-2-9"), binlog: try position("0-1-104,1-2-10")))
        XCTAssertEqual(past.transactions, 70, "domain 0 is 70 ahead; domain 1 is behind and counts nothing")
        XCTAssertEqual(past.binlogText, "0-1-104,1-2-10")
        let both = try XCTUnwrap(PastTheBinlog(try position("0-1-174,1-2-12"), binlog: try position("0-1-104,1-2-10")))
        XCTAssertEqual(both.transactions, 72)
    }

    func testADomainTheServerNeverWroteCountsWhole() throws {
        let past = try XCTUnwrap(PastTheBinlog(try position("0-1-10,5-3-4"), binlog: try position("0-1-10")))
        XCTAssertEqual(past.transactions, 4)
        let empty = try XCTUnwrap(PastTheBinlog(try position("0-1-3"), binlog: MariaDBGTIDPosition()))
        XCTAssertEqual(empty.transactions, 3)
        XCTAssertEqual(empty.binlogText, "empty")
    }
}
