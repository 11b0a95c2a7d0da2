import BinlogCompression
import Foundation
import XCTest

@testable import Binlog

/// Byte fixtures captured from MariaDB 10.11 by scripts/capture-binlog-fixtures; the SQL that
/// produced them is beside them (Tests/BinlogTests/Fixtures/mariadb/*.sql).
final class MariaDBFixtureTests: XCTestCase {
    private func decodeAll(_ name: String) throws -> (events: [Event], decoder: EventDecoder) {
        let path = FixturePaths.capturedDir.appendingPathComponent("mariadb/\(name)").path
        var file = try BinlogFileEvents(path: path, decompressor: ZlibDecompressor())
        var out: [Event] = []
        while let e = try file.next() { out.append(e) }
        return (out, file.decoder)
    }

    private func reference(_ name: String) throws -> SharedFixtureFilesTests.Reference {
        let url = FixturePaths.capturedDir.appendingPathComponent("mariadb/\(name).mariadb-binlog.txt")
        return SharedFixtureFilesTests.parseReference(try String(contentsOf: url, encoding: .isoLatin1))
    }

    private func rows(_ events: [Event]) -> [RowsEvent] {
        events.compactMap { if case .rows(let r) = $0.body { return r } else { return nil } }
    }

    func testPlainFileEveryEventKind() throws {
        let (events, decoder) = try decodeAll("events.000001.bin")
        let ref = try reference("events.000001")
        XCTAssertEqual(events.map(\.position), ref.positions)
        XCTAssertEqual(decoder.unknownCounts, [:])

        guard case .formatDescription(let f) = events[0].body else { return XCTFail("no FDE") }
        XCTAssertEqual(f.flavour, .mariadb)
        XCTAssertEqual(f.checksum, .crc32)
        XCTAssertTrue(f.serverVersion.hasPrefix("10.11."), f.serverVersion)
        XCTAssertEqual(events[1].body, .mariadbGtidList(MariaDBGtidListEvent(flags: 0, gtids: [])))
        XCTAssertEqual(events[2].body, .binlogCheckpoint(file: "bin.000001"))
        guard case .mariadbGtid(let g1) = events[3].body else { return XCTFail("no GTID") }
        XCTAssertEqual(g1.gtid, MariaDBGTID(domain: 0, serverID: 1, sequence: 1))
        XCTAssertTrue(g1.isStandalone)
        guard case .query(let q) = events[4].body else { return XCTFail("no QUERY") }
        XCTAssertEqual(q.sqlText, "CREATE DATABASE fx")
        XCTAssertNotNil(q.status.charset)

        // ANNOTATE_ROWS carries the statement; the transaction starts with a GTID, not BEGIN.
        let annotations = events.compactMap { e -> String? in
            if case .annotateRows(let s) = e.body { return Event.displayText(s) } else { return nil }
        }
        XCTAssertEqual(annotations.first, "INSERT INTO accounts VALUES (1, 'alice', 100, 'first', 1), (2, 'bob', -5, NULL, NULL)")
        let gtids = events.compactMap { e -> MariaDBGtidEvent? in
            if case .mariadbGtid(let g) = e.body { return g } else { return nil }
        }
        XCTAssertEqual(gtids.map(\.gtid.sequence), Array(1...12))

        // TABLE_MAP with the full optional metadata.
        let accounts = try XCTUnwrap(decoder.tables.values.first { $0.table == "accounts" })
        XCTAssertEqual(accounts.schema, "fx")
        XCTAssertEqual(accounts.columns.map(\.name), ["id", "owner", "balance", "note", "flags"])
        XCTAssertEqual(accounts.columns.map(\.type), [.long, .varchar, .longlong, .varchar, .tiny])
        XCTAssertEqual(accounts.columns.map(\.unsigned), [true, false, false, false, false])
        XCTAssertEqual(accounts.columns.map(\.nullable), [false, false, false, true, true])
        XCTAssertEqual(accounts.columns[1].collation, 45)  // utf8mb4_general_ci
        XCTAssertEqual(accounts.columns[3].collation, 8)  // latin1_swedish_ci
        XCTAssertEqual(accounts.primaryKey, [TableMapEvent.KeyPart(column: 0)])
        let kinds = try XCTUnwrap(decoder.tables.values.first { $0.table == "kinds" })
        XCTAssertEqual(kinds.columns[2].enumValues, ["red", "green", "blue"])
        XCTAssertEqual(kinds.columns[3].setValues, ["a", "b", "c"])
        XCTAssertEqual(kinds.columns[3].collation, 8)
        XCTAssertEqual(kinds.columns[4].geometryType, 1)  // POINT
        XCTAssertEqual(kinds.primaryKey, [TableMapEvent.KeyPart(column: 0), TableMapEvent.KeyPart(column: 1, prefixLength: 4)])  // code(4): characters

        // Rows: v1 events (MariaDB 10.11), full, MINIMAL and NOBLOB images.
        let r = rows(events)
        XCTAssertEqual(r.map(\.typeCode), [23, 24, 25, 23, 24, 24, 23, 24, 23])
        XCTAssertEqual(r[0].after, [.uint(1), .string("alice"), .int(100), .string("first"), .int(1),
                                    .uint(2), .string("bob"), .int(-5), .null, .null])
        XCTAssertEqual(r[1].before[2], .int(100))
        XCTAssertEqual(r[1].after[2], .int(110))
        XCTAssertEqual(r[2].before, [.uint(2), .string("bob"), .int(-5), .null, .null])
        // MINIMAL: before image = primary key, after image = changed column only.
        XCTAssertEqual(r[4].beforeColumns, [0])
        XCTAssertEqual(r[4].afterColumns, [2])
        XCTAssertEqual(r[4].before, [.uint(1)])
        XCTAssertEqual(r[4].after, [.int(7)])
        // NOBLOB: the TEXT column is left out of both images.
        XCTAssertEqual(r[5].beforeColumns, [0, 1, 2, 3, 4])
        XCTAssertEqual(r[5].after[2], .enumValue(index: 3, name: "blue"))

        // XA: GTID with FL_PREPARED_XA, XA_PREPARE event, then XA COMMIT in its own GTID.
        let xaGtid = try XCTUnwrap(gtids.first { $0.xid != nil })
        XCTAssertEqual(xaGtid.xid, XID(formatID: 1, gtrid: Array("xa1".utf8), bqual: []))
        XCTAssertNotEqual(xaGtid.flags & MariaDBGtidEvent.preparedXA, 0)
        let prepare = events.compactMap { e -> XAPrepareEvent? in
            if case .xaPrepare(let x) = e.body { return x } else { return nil }
        }
        XCTAssertEqual(prepare, [XAPrepareEvent(onePhase: false, xid: XID(formatID: 1, gtrid: Array("xa1".utf8), bqual: []))])
        XCTAssertEqual(prepare.first?.xid.description, "X'786131',X'',1")

        XCTAssertEqual(events.last?.body, .rotate(RotateEvent(nextFile: "bin.000002", position: 4)))
    }

    func testCompressedEventsInflateToTheSameRows() throws {
        let (events, decoder) = try decodeAll("compressed.000002.bin")
        XCTAssertEqual(events.map(\.position), try reference("compressed.000002").positions)
        XCTAssertEqual(decoder.unknownCounts, [:])
        let types = Set(events.map(\.header.typeCode))
        XCTAssertTrue(types.isSuperset(of: [165, 166, 167, 168]), "\(types.sorted())")
        guard case .mariadbGtidList(let l) = events[1].body else { return XCTFail("no GTID list") }
        XCTAssertEqual(l.gtids, [MariaDBGTID(domain: 0, serverID: 1, sequence: 12)])
        let queries = events.compactMap { e -> String? in
            if case .query(let q) = e.body, e.header.typeCode == 165 { return q.sqlText } else { return nil }
        }
        XCTAssertEqual(queries.first?.hasPrefix("CREATE TABLE big"), true)
        let r = rows(events)
        XCTAssertEqual(r.map(\.typeCode), [166, 167, 168])
        XCTAssertEqual(r[0].after, [.int(1), .string(String(repeating: "a", count: 400)),
                                    .int(2), .string(String(repeating: "b", count: 400))])
        XCTAssertEqual(r[1].after, [.int(1), .string(String(repeating: "c", count: 300))])
        XCTAssertEqual(r[2].before, [.int(2), .string(String(repeating: "b", count: 400))])
    }

    func testCompressedEventsWithoutDecompressorFailClearly() throws {
        let path = FixturePaths.capturedDir.appendingPathComponent("mariadb/compressed.000002.bin").path
        var file = try BinlogFileEvents(path: path)
        XCTAssertThrowsError(try { while try file.next() != nil {} }()) { e in
            XCTAssertEqual((e as? BinlogError)?.description,
                           "compressed.000002.bin:415: QUERY_COMPRESSED_EVENT: compressed event (log_bin_compress) "
                           + "but no decompressor was configured (at byte 70 of the event)")
        }
    }

    func testEncryptedBinlogIsRefused() throws {
        let path = FixturePaths.capturedDir.appendingPathComponent("mariadb/encrypted.000001.bin").path
        var file = try BinlogFileEvents(path: path)
        _ = try file.next()
        XCTAssertThrowsError(try file.next()) { e in
            let err = e as? BinlogError
            XCTAssertEqual(err?.code, .unsupported)
            XCTAssertEqual(err?.description,
                           "encrypted.000001.bin:256: START_ENCRYPTION_EVENT: encrypted binlog (START_ENCRYPTION, scheme 1, "
                           + "key version 1) not supported; read it through the server (replication) instead (at byte 19 of the event)")
        }
    }

    func testEveryPrefixOfEveryEventThrows() throws {
        for name in ["events.000001.bin", "compressed.000002.bin"] {
            let reader = try BinlogFileReader(path: FixturePaths.capturedDir.appendingPathComponent("mariadb/\(name)").path)
            var d = EventDecoder(file: name, decompressor: ZlibDecompressor())
            while let (pos, bytes) = try reader.next() {
                for n in stride(from: 0, to: bytes.count, by: 1) {
                    var probe = d
                    XCTAssertThrowsError(try probe.decode(Array(bytes.prefix(n)), position: pos))
                }
                // Also with the size field patched to the prefix length, so the body decoders see it.
                for n in stride(from: 19, to: bytes.count, by: 1) {
                    var probe = d
                    probe.verifyChecksums = false
                    var cut = Array(bytes.prefix(n))
                    cut[9] = UInt8(n & 0xFF); cut[10] = UInt8(n >> 8); cut[11] = 0; cut[12] = 0
                    do { _ = try probe.decode(cut, position: pos) } catch {}
                }
                _ = try d.decode(bytes, position: pos)
            }
        }
    }
}
