import Binlog
import MySQLSource
import XCTest

final class StartKindTests: XCTestCase {
    func testEveryStartKind() throws {
        let fixture = try SourceFixture("source-start")
        try fixture.writeTransactions(2)
        let afterTwo = try fixture.masterStatus()
        let gtidAfterTwo = try XCTUnwrap(fixture.admin.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        try fixture.writeTransactions(3)

        // earliest: the CREATE DATABASE and CREATE TABLE statements, then all five rows.
        let all = try collect(fixture.source(.earliest)) { ids($0).count == 5 }
        XCTAssertEqual(all.compactMap(\.statement).count, 2)
        XCTAssertTrue(all[0].statement?.hasPrefix("CREATE DATABASE shop") ?? false, "\(all[0])")
        XCTAssertEqual(ids(all), [1, 2, 3, 4, 5])
        XCTAssertEqual(all.last?.gtid, "0-1-7")
        XCTAssertEqual(all.last?.checkpoint?.mariadbGTID?.description, "0-1-7")

        let byPosition = try collect(fixture.source(.position(afterTwo))) { ids($0).count == 3 }
        XCTAssertEqual(ids(byPosition), [3, 4, 5])
        XCTAssertEqual(byPosition.first?.start, afterTwo)
        XCTAssertEqual(byPosition.first?.gtid, "0-1-5")

        let byGTID = try collect(
            fixture.source(.mariadbGTID(try XCTUnwrap(MariaDBGTIDPosition(parsing: gtidAfterTwo))))
        ) {
            ids($0).count == 3
        }
        XCTAssertEqual(ids(byGTID), [3, 4, 5])
        XCTAssertEqual(byGTID.map(\.end), byPosition.map(\.end))

        let current = fixture.source(.current)
        XCTAssertNil(try current.poll(for: 1.5), "nothing new yet")
        try fixture.writeTransactions(1)
        XCTAssertEqual(ids(try collect(current) { ids($0).count == 1 }), [6])

        // Text forms, and a MySQL GTID set refused by a MariaDB server before anything is sent.
        XCTAssertEqual(try SourceStart(parsing: "current"), .current)
        XCTAssertEqual(try SourceStart(parsing: "earliest"), .earliest)
        XCTAssertEqual(
            try SourceStart(parsing: "bin.000002:1234"), .position(BinlogPosition(file: "bin.000002", offset: 1234)))
        XCTAssertEqual(try SourceStart(parsing: "0-1-5,1-2-9").description, "gtid:0-1-5,1-2-9")
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        XCTAssertEqual(try SourceStart(parsing: "\(uuid):1-5").description, "mysql-gtid:\(uuid):1-5")
        XCTAssertThrowsError(try SourceStart(parsing: "bin.000002")) { error in
            XCTAssertEqual((error as? SourceError)?.code, .configuration)
        }
        let mysqlSet = try XCTUnwrap(MySQLGTIDSet(parsing: "\(uuid):1-5"))
        let refused = fixture.source(.mysqlGTID(mysqlSet))
        XCTAssertThrowsError(try refused.next()) { error in
            XCTAssertEqual((error as? SourceError)?.code, .configuration)
            XCTAssertTrue("\(error)".contains("a MySQL GTID set cannot start a MariaDB source"), "\(error)")
        }
        XCTAssertEqual(refused.connections, 0)

        // A GTID start past the server's binlog: nothing was purged, the server never wrote those
        // transactions; a typed error naming both positions, the count and the way out, no retry.
        let written = try XCTUnwrap(fixture.admin.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let last = try XCTUnwrap(MariaDBGTIDPosition(parsing: written)?.gtids.first)
        let ahead = try XCTUnwrap(MariaDBGTIDPosition(parsing: "\(last.domain)-\(last.serverID)-\(last.sequence + 3)"))
        let past = fixture.source(.mariadbGTID(ahead))
        XCTAssertThrowsError(try past.next()) { error in
            XCTAssertEqual((error as? SourceError)?.code, .pastTheBinlog, "\(error)")
            XCTAssertTrue(
                "\(error)".contains(
                    "the start point (gtid \(ahead)) is past the binlog of server_id \(last.serverID) "
                        + "(gtid \(written)): 3 transaction(s) this server never wrote"), "\(error)")
            XCTAssertTrue("\(error)".contains("sluice repair-ahead"), "\(error)")
            XCTAssertFalse("\(error)".contains("purged"), "\(error)")
        }
        XCTAssertThrowsError(try past.next()) { XCTAssertEqual(($0 as? SourceError)?.code, .pastTheBinlog) }
        XCTAssertEqual(past.failures.count, 0, "not retried")
    }
}
