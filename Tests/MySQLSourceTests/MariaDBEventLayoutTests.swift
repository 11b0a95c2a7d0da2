import Binlog
import XCTest

/// Events captured from MariaDB 10.11.19 (`XA START 'x1'; INSERT ...; XA END 'x1'; XA PREPARE 'x1';
/// XA COMMIT 'x1'` on a fresh server), whose layout the stream depends on.
final class MariaDBEventLayoutTests: XCTestCase {
    private func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    func testXAGtidEventsHaveNoPaddingAndEmptyGtidListIsPadded() throws {
        var decoder = EventDecoder(file: "bin.000001", format: .assumed(checksum: .crc32, flavour: .mariadb))
        let list = try decoder.decode(
            bytes("231f0a6ba3010000001d0000001d0100000000000000000000b466e1d8"), position: 256)
        guard case .mariadbGtidList(let gtids) = list.body else { return XCTFail("\(list.body)") }
        XCTAssertEqual(gtids.gtids, [])

        let prepare = try decoder.decode(
            bytes("231f0a6ba2010000002e000000a603000008000400000000000000000000004c010000000200783101ffd25a584e"),
            position: 888)
        guard case .mariadbGtid(let prepared) = prepare.body else { return XCTFail("\(prepare.body)") }
        XCTAssertEqual(prepared.gtid, MariaDBGTID(domain: 0, serverID: 1, sequence: 4))
        XCTAssertEqual(prepared.flags & MariaDBGtidEvent.preparedXA, MariaDBGtidEvent.preparedXA)
        XCTAssertEqual(prepared.xid, XID(formatID: 1, gtrid: Array("x1".utf8), bqual: []))
        XCTAssertEqual(prepared.extraEngines, 0xFF)

        let commit = try decoder.decode(
            bytes("231f0a6ba2010000002c000000f604000008000500000000000000000000008d01000000020078318445b206"),
            position: 1226)
        guard case .mariadbGtid(let completed) = commit.body else { return XCTFail("\(commit.body)") }
        XCTAssertEqual(completed.flags & MariaDBGtidEvent.completedXA, MariaDBGtidEvent.completedXA)
        XCTAssertEqual(completed.xid, XID(formatID: 1, gtrid: Array("x1".utf8), bqual: []))
        XCTAssertNil(completed.flagsExtra)
    }
}
