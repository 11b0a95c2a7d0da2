import BinlogCompression
import Foundation
import XCTest

@testable import Binlog

/// `sluice binlog dump` logic on the captured MariaDB fixtures: JSON row changes in the change-event
/// schema, table filter, start/stop positions, and the text format.
final class BinlogDumpTests: XCTestCase {
    private var events: String { FixturePaths.capturedDir.appendingPathComponent("mariadb/events.000001.bin").path }
    private var compressed: String { FixturePaths.capturedDir.appendingPathComponent("mariadb/compressed.000002.bin").path }

    private func dump(_ options: BinlogDump.Options, _ files: [String]) throws -> ([String], BinlogDump.Summary) {
        var lines: [String] = []
        let summary = try BinlogDump(options: options, decompressor: ZlibDecompressor()).run(files: files) { lines.append($0) }
        return (lines, summary)
    }

    func testJSONLinesInTheChangeEventSchema() throws {
        let (lines, summary) = try dump(.init(format: .json), [events, compressed])
        XCTAssertEqual(summary.rowChanges, lines.count)
        XCTAssertEqual(lines.count, 14)
        XCTAssertEqual(lines[0], #"{"op":"insert","db":"fx","table":"accounts","before":null,"after":{"id":1,"owner":"alice","balance":100,"note":"first","flags":1},"source":{"server_id":1,"file":"events.000001.bin","pos":1036,"gtid":"0-1-3","ts":\#(try timestamp(at: 1036))}}"#)
        XCTAssertTrue(lines[2].hasPrefix(#"{"op":"update","db":"fx","table":"accounts","before":{"id":1,"owner":"alice","balance":100,"note":"first","flags":1},"after":{"id":1,"owner":"alice","balance":110,"note":"first","flags":1},"#), lines[2])
        XCTAssertTrue(lines[3].hasPrefix(#"{"op":"delete","db":"fx","table":"accounts","before":{"id":2,"owner":"bob","balance":-5,"note":null,"flags":null},"after":null,"#), lines[3])
        // MINIMAL image: only the key before, only the changed column after.
        XCTAssertTrue(lines[5].hasPrefix(#"{"op":"update","db":"fx","table":"accounts","before":{"id":1},"after":{"balance":7},"#), lines[5])
        XCTAssertTrue(lines[10].contains(#""gtid":"0-1-14""#), lines[10])
        for line in lines {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), line)
        }
    }

    func testARowChangeRendersAsTheSameChangeEventJSON() {
        XCTAssertEqual([RowsEvent.Kind.write, .update, .delete].map { RowChange.Kind($0) }, [.insert, .update, .delete])
        let source = ChangeEvent.Source(serverID: 7, file: "bin.000002", position: 4242, gtid: nil, timestamp: 1_700_000_000)
        // Values past the known names are labelled `@n`, as the file dump labels unnamed columns.
        let update = RowChange(
            database: "pay", table: "acc\"ts", kind: .update, columns: ["id", "note"],
            before: [.int(1), .null, .int(5)], after: [.int(1), .string("a\nb"), .int(6)],
            gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: 9), ordinal: 3, primaryKey: [0])
        XCTAssertEqual(
            ChangeEvent.jsonLine(of: update, source: source),
            #"{"op":"update","db":"pay","table":"acc\"ts","before":{"id":1,"note":null,"@3":5},"after":{"id":1,"note":"a\nb","@3":6},"source":{"server_id":7,"file":"bin.000002","pos":4242,"gtid":null,"ts":1700000000}}"#)
        var withGTID = source
        withGTID.gtid = "0-1-9"
        let delete = RowChange(database: "pay", table: "t", kind: .delete, columns: ["id"], before: [.int(2)])
        XCTAssertEqual(
            ChangeEvent.jsonLine(of: delete, source: withGTID),
            #"{"op":"delete","db":"pay","table":"t","before":{"id":2},"after":null,"source":{"server_id":7,"file":"bin.000002","pos":4242,"gtid":"0-1-9","ts":1700000000}}"#)
    }

    private func timestamp(at pos: UInt64) throws -> UInt32 {
        let reader = try BinlogFileReader(path: events)
        while let (p, bytes) = try reader.next() {
            if p == pos { return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24 }
        }
        return 0
    }

    func testTableFilterAndPositions() throws {
        let (kinds, _) = try dump(.init(format: .json, tables: ["fx.kinds"]), [events])
        XCTAssertEqual(kinds.count, 2)
        XCTAssertTrue(kinds.allSatisfy { $0.contains(#""table":"kinds""#) })
        // Start at the GTID of the update (1144) and stop before the delete's GTID (1480).
        let (window, _) = try dump(.init(format: .json, startPosition: 1144, stopPosition: 1480), [events])
        XCTAssertEqual(window.count, 1)
        XCTAssertTrue(window[0].hasPrefix(#"{"op":"update""#))
    }

    func testTextShowsEveryEvent() throws {
        let (lines, summary) = try dump(.init(format: .text), [events])
        let eventLines = lines.filter { $0.hasPrefix("#") }
        XCTAssertEqual(eventLines.count, summary.events)
        XCTAssertEqual(summary.events, 56)
        XCTAssertTrue(eventLines[0].hasPrefix("#4 FORMAT_DESCRIPTION_EVENT "), eventLines[0])
        XCTAssertTrue(eventLines[0].contains("flavour=mariadb checksum=crc32"), eventLines[0])
        XCTAssertTrue(eventLines.contains { $0.contains("GTID_EVENT") && $0.contains("gtid=0-1-1 ") })
        XCTAssertTrue(eventLines.contains { $0.hasPrefix("#4100 XA_PREPARE_LOG_EVENT") && $0.contains("XA PREPARE X'786131',X'',1") })
        XCTAssertTrue(eventLines.last?.contains(#"ROTATE_EVENT"#) == true)
    }
}
