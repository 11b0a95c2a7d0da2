import Foundation
import XCTest
@testable import Binlog

/// Every real MySQL binlog file in ../shared/fixtures/binlog decodes end to end, and agrees with the
/// reference `mariadb-binlog -vv` decoding beside it: the same event positions, the same row counts,
/// the same integer and plain string values.
final class SharedFixtureFilesTests: XCTestCase {
    /// Files whose decoding stops, without a decompressor, at a construct that needs one:
    /// file -> (position of the event, error text). TransactionPayloadTests decodes them with zstd.
    static let refused: [String: (UInt64, String)] = [
        "mbcj/mysql-bin.compressed": (236, "compressed transaction (zstd) but no decompressor was configured"),
        "apecloud/mysql-bin.000057": (457, "compressed transaction (zstd) but no decompressor was configured"),
    ]

    static let plainFiles = [
        "apecloud/mysql-bin.000057", "apecloud/mysql-bin.000080",
        "boxercrab/02_query.log.bin", "boxercrab/03_stop.log.bin", "boxercrab/04_rotate.log.bin",
        "boxercrab/05_intvar.log.bin", "boxercrab/13_rand.log.bin", "boxercrab/14_user_var.log.bin",
        "boxercrab/15_format_desc.log.bin", "boxercrab/16_xid.log.bin", "boxercrab/17_18_load.log.bin",
        "boxercrab/19_table_map.log.bin", "boxercrab/29_row_query.log.bin", "boxercrab/30_write_rows_v2.log.bin",
        "boxercrab/31_update_rows_v2.log.bin", "boxercrab/32_delete_rows_v2.log.bin",
        "boxercrab/33_35_gtid_prev_gtid.log.bin", "boxercrab/34_anonymous_gtid.log.bin",
        "canal/mysql-bin.000001", "canal/mysql-bin.000002", "canal/tsdb.mysql-bin.000002", "canal/tsdb.mysql-bin.000003",
        "easypost/bin-log.000001",
        "mbcj/mysql-bin.aurora-padding", "mbcj/mysql-bin.checksum-crc32", "mbcj/mysql-bin.checksum-none",
        "mbcj/mysql-bin.compressed",
    ]

    func testEveryFileMatchesItsReferenceDecoding() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        for name in Self.plainFiles {
            let path = dir.appendingPathComponent(name).path
            let reference = try String(contentsOfFile: path + ".mariadb-binlog.txt", encoding: .isoLatin1)
            try check(path: path, name: name, reference: reference)
        }
    }

    func testSakilaGunzippedDecodesAndMatches() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sakila-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let bin = tmp.appendingPathComponent("mysql-bin.sakila")
        let txt = tmp.appendingPathComponent("mysql-bin.sakila.txt")
        try gunzip(dir.appendingPathComponent("mbcj/mysql-bin.sakila.gz"), to: bin)
        try gunzip(dir.appendingPathComponent("mbcj/mysql-bin.sakila.mariadb-binlog.txt.gz"), to: txt)
        let summary = try check(path: bin.path, name: "mbcj/mysql-bin.sakila",
                                reference: try String(contentsOf: txt, encoding: .isoLatin1))
        XCTAssertGreaterThan(summary.rows, 40_000)
    }

    private func gunzip(_ src: URL, to dst: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", src.path]
        FileManager.default.createFile(atPath: dst.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: dst)
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "gzip -dc \(src.path)")
    }

    struct Reference {
        var positions: [UInt64] = []
        var rowCount = 0
        /// The `@n=value` texts of every row image, in order (mariadb-binlog prints the rows of a
        /// statement's events together, so they are compared as one sequence).
        var values: [String] = []
    }

    static func parseReference(_ text: String) -> Reference {
        var ref = Reference()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# at ") {
                if let p = UInt64(line.dropFirst(5)) { ref.positions.append(p) }
            } else if line.hasPrefix("# Number of rows: ") {
                ref.rowCount += Int(line.dropFirst(18)) ?? 0
            } else if line.hasPrefix("###   @") {
                ref.values.append(String(line.dropFirst(6)))
            }
        }
        return ref
    }

    /// Our rendering of a value in mariadb-binlog's `@n=` syntax, for integers and plain strings
    /// only (nil = not compared).
    static func referenceText(_ v: ColumnValue, _ col: ColumnDefinition) -> String? {
        switch v {
        case .int(let i): return String(i)
        case .string(let s) where s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "'" && $0 != "\\" }):
            return "'\(s)'"
        default: return nil
        }
    }

    @discardableResult
    private func check(path: String, name: String, reference: String) throws -> (events: Int, rows: Int) {
        let ref = Self.parseReference(reference)
        var events = try BinlogFileEvents(path: path)
        var positions: [UInt64] = []
        var rows = 0
        var values: [String?] = []
        var refused: BinlogError?
        while true {
            let e: Event?
            do {
                e = try events.next()
            } catch {
                refused = error
                break
            }
            guard let e else { break }
            positions.append(e.position)
            if case .rows(let r) = e.body, let t = events.decoder.tables[r.tableID] {
                rows += r.rowCount
                for i in 0..<r.rowCount {
                    for (k, c) in r.beforeColumns.enumerated() {
                        values.append(Self.referenceText(r.before[i * r.beforeColumns.count + k], t.columns[c]).map { "@\(c + 1)=\($0)" })
                    }
                    for (k, c) in r.afterColumns.enumerated() {
                        values.append(Self.referenceText(r.after[i * r.afterColumns.count + k], t.columns[c]).map { "@\(c + 1)=\($0)" })
                    }
                }
            }
        }
        if let (pos, text) = Self.refused[name] {
            let err = try XCTUnwrap(refused, "\(name): expected the refusal at \(pos)")
            XCTAssertEqual(err.code, .unsupported, name)
            XCTAssertEqual(err.position, pos, name)
            XCTAssertTrue(err.description.contains(text), "\(name): \(err)")
            XCTAssertEqual(positions, ref.positions, name)
        } else {
            XCTAssertNil(refused, "\(name): \(refused.map(String.init(describing:)) ?? "")")
            XCTAssertEqual(positions, ref.positions, name)
            XCTAssertEqual(rows, ref.rowCount, name)
            XCTAssertEqual(values.count, ref.values.count, name)
            var compared = 0
            for (o, t) in zip(values, ref.values) {
                guard let o else { continue }
                compared += 1
                XCTAssertTrue(t.hasPrefix(o + " "), "\(name): ours \(o), reference \(t)")
            }
            if ref.rowCount > 0 { XCTAssertGreaterThan(compared, 0, "\(name): no value compared") }
        }
        return (positions.count, rows)
    }
}
