import Foundation
import XCTest
@testable import Binlog

/// CRC32, checksum and truncation errors (with their text), leftover bytes, the file reader.
final class CoreDecodingTests: XCTestCase {
    func testCRC32KnownVectors() {
        let crc = CRC32()
        XCTAssertEqual(crc.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(crc.checksum([]), 0)
        let long = Array(repeating: UInt8(0x61), count: 1000)
        // Slicing-by-8 and the byte loop agree on every split.
        for cut in [0, 1, 7, 8, 9, 999] {
            var bytes = Array(long.prefix(cut))
            bytes += long.dropFirst(cut)
            XCTAssertEqual(crc.checksum(bytes), crc.checksum(long))
        }
        XCTAssertEqual(crc.checksum(long, 3..<11), crc.checksum(Array(long[3..<11])))
    }

    /// The first two events of a real MySQL 5.7.21 file (CRC32): FORMAT_DESCRIPTION, PREVIOUS_GTIDS.
    private func crcFileEvents() throws -> [(UInt64, [UInt8])] {
        let dir = try FixturePaths.sharedBinlogDir()
        let reader = try BinlogFileReader(path: dir.appendingPathComponent("mbcj/mysql-bin.checksum-crc32").path)
        var out: [(UInt64, [UInt8])] = []
        while let e = try reader.next(), out.count < 8 { out.append(e) }
        return out
    }

    func testCorruptChecksumIsATypedErrorWithPlace() throws {
        let events = try crcFileEvents()
        var d = EventDecoder(file: "mysql-bin.checksum-crc32")
        _ = try d.decode(events[0].1, position: events[0].0)
        var bad = events[3].1
        bad[25] ^= 0x01
        XCTAssertThrowsError(try d.decode(bad, position: events[3].0)) { e in
            let err = e as? BinlogError
            XCTAssertEqual(err?.code, .checksumMismatch)
            XCTAssertEqual(err?.description,
                           "mysql-bin.checksum-crc32:219: QUERY_EVENT: CRC32 mismatch: event says 0x8379afe7, "
                           + "bytes give 0x\(String(CRC32().checksum(bad, 0..<(bad.count - 4)), radix: 16)) (at byte 85 of the event)")
        }
        // With verification off the same bytes decode (the flipped bit is inside the thread id).
        d.verifyChecksums = false
        XCTAssertNoThrow(try d.decode(bad, position: events[3].0))
    }

    func testEveryPrefixOfEveryEventThrowsATypedError() throws {
        let events = try crcFileEvents()
        var d = EventDecoder(file: "f")
        for (pos, bytes) in events {
            for n in 0..<bytes.count {
                var probe = d
                XCTAssertThrowsError(try probe.decode(Array(bytes.prefix(n)), position: pos)) { e in
                    XCTAssertTrue(e is BinlogError, "prefix \(n) of event at \(pos): \(e)")
                }
            }
            _ = try d.decode(bytes, position: pos)
        }
    }

    func testLeftoverBytesAreAnError() throws {
        // XID event without checksum: header + 8 bytes + 1 extra byte.
        var bytes = EventBytes.header(type: 16, size: 19 + 9)
        bytes += [1, 0, 0, 0, 0, 0, 0, 0, 0xAA]
        var d = EventDecoder(file: "x.000001")
        XCTAssertThrowsError(try d.decode(bytes, position: 100)) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "x.000001:100: XID_EVENT: 1 bytes left after the last field (at byte 27 of the event)")
        }
    }

    func testTruncatedLastEventInAFile() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        let src = try Data(contentsOf: dir.appendingPathComponent("boxercrab/16_xid.log.bin"))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-trunc-\(getpid()).000001")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try src.prefix(src.count - 5).write(to: tmp)
        var events = try BinlogFileEvents(path: tmp.path)
        var n = 0
        do {
            while try events.next() != nil { n += 1 }
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error.code, .truncated)
            XCTAssertEqual(error.description,
                           "sluice-trunc-\(getpid()).000001:943: ROTATE_EVENT: file ends inside the event: 42 of 47 bytes")
        }
        XCTAssertEqual(n, 11)
    }

    func testBadMagic() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-magic-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try Data("hello world".utf8).write(to: tmp)
        XCTAssertThrowsError(try BinlogFileReader(path: tmp.path)) { e in
            XCTAssertEqual((e as? BinlogError)?.code, .badMagic)
        }
    }

    func testSmallChunksReadTheSameEvents() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        let path = dir.appendingPathComponent("mbcj/mysql-bin.checksum-none").path
        let big = try BinlogFileReader(path: path)
        let small = try BinlogFileReader(path: path, chunkSize: 64)
        while let a = try big.next() {
            let b = try XCTUnwrap(try small.next())
            XCTAssertEqual(a.position, b.position)
            XCTAssertEqual(a.bytes, b.bytes)
        }
        XCTAssertNil(try small.next())
    }
}

/// Builds event bytes from the format documentation for tests.
enum EventBytes {
    static func header(type: UInt8, size: Int, serverID: UInt32 = 1, next: UInt32 = 0, flags: UInt16 = 0,
                       timestamp: UInt32 = 1_700_000_000) -> [UInt8] {
        le(UInt64(timestamp), 4) + [type] + le(UInt64(serverID), 4) + le(UInt64(size), 4) + le(UInt64(next), 4)
            + le(UInt64(flags), 2)
    }

    static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// A whole event: header with the right size, body, and a CRC32 when `crc`.
    static func event(type: UInt8, body: [UInt8], crc: Bool = false, serverID: UInt32 = 1, next: UInt32 = 0) -> [UInt8] {
        var e = header(type: type, size: 19 + body.count + (crc ? 4 : 0), serverID: serverID, next: next) + body
        if crc { e += le(UInt64(CRC32().checksum(e)), 4) }
        return e
    }
}
