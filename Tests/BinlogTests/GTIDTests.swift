import XCTest
@testable import Binlog

final class GTIDTests: XCTestCase {
    let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    let b = "5b6f4c2a-0000-11e1-9e33-c80aa9429562"

    func testMySQLSetParsePrintUnionContains() throws {
        let s = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):1-5:7:6, \(b):3"))
        XCTAssertEqual(s.description, "\(a):1-7,\(b):3")
        let uuidA = try XCTUnwrap(ServerUUID(parsing: Substring(a)))
        XCTAssertTrue(s.contains(uuidA, 7))
        XCTAssertFalse(s.contains(uuidA, 8))
        let t = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):9-10,\(b):1-2"))
        let u = s.union(t)
        XCTAssertEqual(u.description, "\(a):1-7:9-10,\(b):1-3")
        XCTAssertTrue(u.contains(s))
        XCTAssertTrue(u.contains(t))
        XCTAssertFalse(s.contains(u))
        var v = u
        v.insert(uuidA, 8)
        XCTAssertEqual(v.description, "\(a):1-10,\(b):1-3")
        XCTAssertNil(MySQLGTIDSet(parsing: "\(a):0-3"))
        XCTAssertNil(MySQLGTIDSet(parsing: "\(a):5-3"))
        XCTAssertNil(MySQLGTIDSet(parsing: "nonsense:1"))
        XCTAssertEqual(MySQLGTIDSet(parsing: "")?.isEmpty, true)
    }

    func testPreviousGtidsFromRealFile() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        var events = try BinlogFileEvents(path: dir.appendingPathComponent("easypost/bin-log.000001").path)
        var found: [String] = []
        while let e = try events.next() {
            if case .previousGtids(let s) = e.body { found.append(s.description) }
            if case .mysqlGtid(let g) = e.body, let t = g.gtidText { found.append(t) }
        }
        let ref = try String(contentsOf: dir.appendingPathComponent("easypost/bin-log.000001.mariadb-binlog.txt"), encoding: .utf8)
        let u = "87cee3a4-6b31-11e7-bdfd-0d98d6698870"
        XCTAssertEqual(found, ["\(u):1-14916", "\(u):14917", "\(u):14918", "\(u):14919"])
        // mariadb-binlog shows MySQL GTIDs only as ignorable events, at the same positions.
        XCTAssertEqual(ref.components(separatedBy: "Ignorable event type 33").count - 1, 3)
    }

    func testMariaDBPosition() throws {
        let p = try XCTUnwrap(MariaDBGTIDPosition(parsing: "1-2-5, 0-1-100"))
        XCTAssertEqual(p.description, "0-1-100,1-2-5")
        var q = p
        q.update(MariaDBGTID(domain: 1, serverID: 3, sequence: 6))
        XCTAssertEqual(q.description, "0-1-100,1-3-6")
        XCTAssertEqual(q.gtid(domain: 0)?.sequence, 100)
        XCTAssertNil(MariaDBGTIDPosition(parsing: "0-1-1,0-2-2"))
        XCTAssertNil(MariaDBGTIDPosition(parsing: "0-1"))
        XCTAssertEqual(MariaDBGTIDPosition(parsing: "")?.gtids, [])
    }

    func testBinlogPositionOrder() throws {
        let x = try XCTUnwrap(BinlogPosition(parsing: "bin.000009:500"))
        let y = try XCTUnwrap(BinlogPosition(parsing: "bin.000010:4"))
        XCTAssertLessThan(x, y)
        XCTAssertEqual(y.description, "bin.000010:4")
    }
}
