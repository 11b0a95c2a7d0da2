import BinlogCompression
import Foundation
import XCTest

@testable import Binlog

/// MySQL compressed transactions (TRANSACTION_PAYLOAD, zstd) in the shared fixture files written
/// by MySQL 8.0.31 (apecloud/mysql-bin.000057) and 8.0.2x (mbcj/mysql-bin.compressed). The inner
/// event sequence expected for apecloud at 730 was read independently: the payload bytes after
/// the header fields through the `zstd -d` command line tool, then the event headers by hand
/// (sizes 77, 135, 94, 363, 266, 94, 199, 27: no checksums, log_pos 0).
final class TransactionPayloadTests: XCTestCase {
    private func decodeAll(_ name: String) throws -> [Event] {
        let path = try FixturePaths.sharedBinlogDir().appendingPathComponent(name).path
        var events = try BinlogFileEvents(path: path, decompressor: StandardDecompressor())
        var out: [Event] = []
        while let e = try events.next() { out.append(e) }
        return out
    }

    private func payloads(_ events: [Event]) -> [(Event, TransactionPayloadEvent)] {
        events.compactMap { e in
            guard case .transactionPayload(let p) = e.body else { return nil }
            return (e, p)
        }
    }

    func testInnerEventsDecodeAtThePayloadPosition() throws {
        let events = try decodeAll("apecloud/mysql-bin.000057")
        XCTAssertEqual(events.map(\.position), [4, 126, 197, 274, 378, 457, 651, 730])
        let found = payloads(events)
        XCTAssertEqual(found.map(\.0.position), [457, 730])
        let (outer, payload) = try XCTUnwrap(found.last)
        XCTAssertEqual(payload.compression, .zstd)
        XCTAssertEqual(payload.uncompressedSize, 1255)
        XCTAssertEqual(payload.events.map(\.header.typeCode), [2, 29, 19, 31, 29, 19, 30, 16])
        XCTAssertEqual(payload.events.map(\.header.eventSize), [77, 135, 94, 363, 266, 94, 199, 27])
        for inner in payload.events { XCTAssertEqual(inner.position, outer.position) }
        guard case .xid = payload.events.last?.body else { return XCTFail("last inner event: \(payload.events.last!)") }
        var rows = 0
        for inner in payload.events {
            if case .rows(let r) = inner.body { rows += r.rowCount }
        }
        XCTAssertGreaterThan(rows, 0)
    }

    func testEveryCompressedFixtureDecodesToTheEnd() throws {
        for name in ["apecloud/mysql-bin.000057", "mbcj/mysql-bin.compressed"] {
            let found = payloads(try decodeAll(name))
            XCTAssertFalse(found.isEmpty, name)
            for (_, p) in found {
                XCTAssertFalse(p.events.isEmpty, name)
                guard case .xid = p.events.last?.body else {
                    return XCTFail("\(name): \(p.events.last.map(\.body) as Any)")
                }
            }
        }
    }

    /// `sluice binlog dump`: the row changes inside come out with the payload event's position.
    func testDumpWritesTheRowsInsideAtThePayloadPosition() throws {
        let path = try FixturePaths.sharedBinlogDir().appendingPathComponent("apecloud/mysql-bin.000057").path
        var lines: [String] = []
        let summary = try BinlogDump(options: .init(format: .json), decompressor: StandardDecompressor())
            .run(files: [path]) { lines.append($0) }
        XCTAssertEqual(summary.rowChanges, lines.count)
        XCTAssertGreaterThan(lines.count, 1)
        for line in lines {
            XCTAssertTrue(line.contains("\"pos\":457") || line.contains("\"pos\":730"), line)
        }
        // The payload at 457 holds ROWS_QUERY "insert into b values(1)": its row is that value.
        XCTAssertTrue(
            lines[0].hasPrefix("{\"op\":\"insert\",\"db\":\"a\",\"table\":\"b\",\"before\":null,\"after\":{\"@1\":1}"),
            lines[0])
    }

    /// A payload of compression type 255 (none) is the events as they are. Bytes built from the
    /// MySQL source documentation of `Transaction_payload_event` (fields of packed type, packed
    /// length, packed value; end mark 0; 255 as a packed integer is 0xFC 0xFF 0x00).
    func testUncompressedPayloadAndBadSizes() throws {
        let xid: [UInt8] = [0, 0, 0, 0, 16, 1, 0, 0, 0, 27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]
        func payloadEvent(_ fields: [UInt8], _ payload: [UInt8]) -> [UInt8] {
            let body = fields + [0] + payload
            var e: [UInt8] = [0, 0, 0, 0, 40, 1, 0, 0, 0] + le32(19 + body.count) + le32(0) + [0, 0] + body
            e.replaceSubrange(9..<13, with: le32(e.count))
            return e
        }
        var decoder = EventDecoder(format: .assumed(checksum: .off, flavour: .mysql))
        let plain = try decoder.decode(payloadEvent([1, 1, 27, 2, 3, 0xFC, 0xFF, 0x00, 3, 1, 27], xid), position: 1000)
        guard case .transactionPayload(let p) = plain.body else { return XCTFail("\(plain.body)") }
        XCTAssertEqual(p.compression, .none)
        XCTAssertEqual(p.events.map(\.body), [.xid(7)])
        XCTAssertEqual(p.events.map(\.position), [1000])

        XCTAssertThrowsError(try decoder.decode(payloadEvent([1, 1, 26, 2, 3, 0xFC, 0xFF, 0x00], xid), position: 1000))
        { e in
            XCTAssertTrue("\(e)".contains("payload size 26, but 27 bytes follow"), "\(e)")
        }
        XCTAssertThrowsError(
            try decoder.decode(payloadEvent([1, 1, 27, 2, 1, 0, 3, 4, 0xFD, 0xFF, 0xFF, 0xFF], xid), position: 1000)
        ) {
            e in XCTAssertTrue("\(e)".contains("uncompressed size 16777215 impossible for 27 zstd bytes"), "\(e)")
        }
        var withZstd = EventDecoder(
            format: .assumed(checksum: .off, flavour: .mysql), decompressor: StandardDecompressor())
        XCTAssertThrowsError(try withZstd.decode(payloadEvent([1, 1, 27, 2, 1, 0, 3, 1, 27], xid), position: 1000)) {
            e in
            XCTAssertTrue("\(e)".contains("decompressing the transaction payload: zstd: "), "\(e)")
        }
        // A payload whose inner event runs past its end.
        XCTAssertThrowsError(
            try decoder.decode(payloadEvent([1, 1, 26, 2, 3, 0xFC, 0xFF, 0x00], Array(xid.dropLast())), position: 1000)
        ) { e in
            XCTAssertTrue("\(e)".contains("TRANSACTION_PAYLOAD: inner event of 27 bytes, 26 left"), "\(e)")
        }
    }

    private func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
}
