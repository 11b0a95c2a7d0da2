import Binlog
import Foundation
import MySQLSource
import XCTest

final class ServerDumpTests: XCTestCase {
    func testDumpFromServerWritesChangeEventsAndStopsAtTheEnd() throws {
        let fixture = try SourceFixture("source-dump")
        try fixture.admin.execute("INSERT INTO shop.items VALUES (1, 'pen')")
        try fixture.admin.execute("UPDATE shop.items SET name = 'ink' WHERE id = 1")
        var lines: [String] = []
        let count = try ServerDump.run(fixture.source(.earliest, follow: false), format: .json) { lines.append($0) }
        XCTAssertEqual(count, 4, "CREATE DATABASE, CREATE TABLE, INSERT, UPDATE")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix(#"{"op":"insert","db":"shop","table":"items","#), lines[0])
        XCTAssertTrue(lines[0].contains(#""after":{"id":1,"name":"pen"}"#), lines[0])
        XCTAssertTrue(lines[1].contains(#""before":{"id":1,"name":"pen"},"after":{"id":1,"name":"ink"}"#), lines[1])
        XCTAssertTrue(lines[1].contains(#""gtid":"0-1-4""#), lines[1])

        var text: [String] = []
        try ServerDump.run(fixture.source(.earliest, follow: false), format: .text) { text.append($0) }
        XCTAssertTrue(text[0].hasPrefix("# bin.000001:"), text[0])
        XCTAssertTrue(text[0].contains("gtid 0-1-1 statement: CREATE DATABASE shop"), text[0])
        XCTAssertEqual(text.count, 6)
    }

    /// The text header of a statement event shows the statement with its credentials masked.
    func testStatementHeaderMasksCredentials() {
        let at = BinlogPosition(file: "bin.000001", offset: 4)
        let t = SourceTransaction(
            gtid: "0-1-9", changes: [], statement: "CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'", start: at, end: at,
            timestamp: 0, checkpoint: nil)
        let header = ServerDump.lines(t, format: .text, serverID: 1).first ?? ""
        XCTAssertTrue(header.hasSuffix("statement: CREATE USER 'app'@'%' IDENTIFIED BY '***'"), header)
        XCTAssertFalse(header.contains("hunter2"), header)
    }
}
