import XCTest
@testable import Binlog

final class GTIDTests: XCTestCase {
    let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    let b = "5b6f4c2a-0000-11e1-9e33-c80aa9429562"

    /// `s` united with the set `text`: printed as `expected`, containing both.
    private func union(_ s: MySQLGTIDSet, _ text: String, is expected: String, line: UInt = #line) throws -> MySQLGTIDSet {
        let t = try XCTUnwrap(MySQLGTIDSet(parsing: text))
        let u = s.union(t)
        XCTAssertEqual(u.description, expected, line: line)
        XCTAssertTrue(u.contains(s), line: line)
        XCTAssertTrue(u.contains(t), line: line)
        return u
    }

    func testMySQLSetParsePrintUnionContains() throws {
        let s = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):1-5:7:6, \(b):3"))
        XCTAssertEqual(s.description, "\(a):1-7,\(b):3")
        let uuidA = try XCTUnwrap(ServerUUID(parsing: Substring(a)))
        XCTAssertTrue(s.contains(uuidA, 7))
        XCTAssertFalse(s.contains(uuidA, 8))
        let u = try union(s, "\(a):9-10,\(b):1-2", is: "\(a):1-7:9-10,\(b):1-3")
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

    // MySQL 8.3+/8.4 tagged GTIDs in sets: text (`uuid:1-5:tag:1-3`, as `gtid_executed` prints
    // them), union, contains, and the `Gtid_set::encode` form of PREVIOUS_GTIDS and
    // COM_BINLOG_DUMP_GTID. Bytes built from that format as MySQL's source describes it
    // (`Gtid_set::encode`: word = format 1 in the top byte, entry count in bits 8-55, format again
    // in the low byte; per entry uuid, tag as a serialization-library varlen length and bytes,
    // interval count, [start, end) pairs) and checked by decoding what `encoded` writes.

    func testTaggedTextParsePrintUnionContains() throws {
        let s = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):1-5:Batch_1:1-3:7,\(b):zz:4, \(a):6"))
        XCTAssertEqual(s.description, "\(a):1-6:batch_1:1-3:7,\(b):zz:4")
        XCTAssertTrue(s.isTagged)
        let uuidA = try XCTUnwrap(ServerUUID(parsing: Substring(a)))
        XCTAssertTrue(s.contains(uuidA, 6))
        XCTAssertFalse(s.contains(uuidA, 7), "7 is only in the tag batch_1")
        XCTAssertTrue(s.contains(MySQLGTIDSet.TSID(uuidA, tag: "batch_1"), 7))
        XCTAssertFalse(s.contains(MySQLGTIDSet.TSID(uuidA, tag: "batch_1"), 4))
        let u = try union(s, "\(a):batch_1:4-6", is: "\(a):1-6:batch_1:1-7,\(b):zz:4")
        XCTAssertFalse(s.contains(u))
        XCTAssertNil(MySQLGTIDSet(parsing: "\(a):tag"), "a tag without intervals")
        XCTAssertNil(MySQLGTIDSet(parsing: "\(a):1x:3"), "not a tag: starts with a digit")
        XCTAssertNil(MySQLGTIDSet(parsing: "\(a):" + String(repeating: "t", count: 33) + ":1"))
    }

    func testEncodedFormsRoundTripThroughPreviousGtids() throws {
        for text in ["\(a):1-5:batch_1:1-3:7,\(b):zz:4", "\(a):1-5,\(b):9"] {
            let set = try XCTUnwrap(MySQLGTIDSet(parsing: text))
            var r = ByteReader(set.encoded)
            XCTAssertEqual(try MySQLGTIDSet.decodeEncoded(from: &r), set, text)
            XCTAssertTrue(r.isAtEnd)
        }
        // The tagged word and the first entry, byte by byte: 3 entries, uuid a untagged.
        let tagged = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):1-5:batch_1:1-3:7,\(b):zz:4")).encoded
        XCTAssertEqual(Array(tagged[0..<8]), [0x01, 0x03, 0, 0, 0, 0, 0, 0x01])
        XCTAssertEqual(Hex.string(tagged[8..<24]), "3e11fa4771ca11e19e33c80aa9429562")
        XCTAssertEqual(tagged[24], 0x00, "untagged: tag length 0")
        XCTAssertEqual(Array(tagged[25..<33]), [1, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(tagged[33..<49]), [1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])
        // Second entry: the tag "batch_1" as varlen length 7 (one byte, 7 << 1) then its bytes.
        XCTAssertEqual(tagged[65], 14)
        XCTAssertEqual(Array(tagged[66..<73]), Array("batch_1".utf8))
        // Untagged sets keep the old format: the word is the entry count.
        let plain = try XCTUnwrap(MySQLGTIDSet(parsing: "\(a):1-5")).encoded
        XCTAssertEqual(Array(plain[0..<8]), [1, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(plain.count, 8 + 16 + 8 + 16)
    }

    func testMalformedTaggedSetsAreTypedErrors() throws {
        var bad = try XCTUnwrap(MySQLGTIDSet(parsing: "\(b):zz:4")).encoded
        XCTAssertEqual(bad[24], 2 << 1, "tag length 2, then \"zz\"")
        bad[25] = UInt8(ascii: "Z")  // upper case is not how MySQL writes a tag
        var r = ByteReader(bad)
        XCTAssertThrowsError(try MySQLGTIDSet.decodeEncoded(from: &r)) { e in
            XCTAssertTrue("\(e)".contains("is not a tag"), "\(e)")
        }
        var word = [UInt8](repeating: 0, count: 8)
        word[7] = 2
        var w = ByteReader(word)
        XCTAssertThrowsError(try MySQLGTIDSet.decodeEncoded(from: &w)) { e in
            XCTAssertEqual((e as? FieldError)?.code, .unsupported)
        }
    }

    /// The serialization library's varlen integers: 1 byte for 0...127, more by trailing ones.
    func testVarlenIntegers() throws {
        func read(_ bytes: [UInt8]) throws -> UInt64 {
            var r = ByteReader(bytes)
            let v = try r.readVarlenUInt()
            XCTAssertTrue(r.isAtEnd, "\(bytes)")
            return v
        }
        XCTAssertEqual(try read([0x00]), 0)
        XCTAssertEqual(try read([0xFE]), 127)
        XCTAssertEqual(try read([0x01 | 128 << 2 & 0xFF, 128 >> 6]), 128)  // 2 bytes: value << 2 | 0b01
        XCTAssertEqual(try read([0xFF, 1, 2, 3, 4, 5, 6, 7, 8]), 0x0807_0605_0403_0201)
        var short = ByteReader([0x03, 0x00])  // 3 bytes announced, 2 present
        XCTAssertThrowsError(try short.readVarlenUInt())
        XCTAssertEqual(short.offset, 0)
    }
}
