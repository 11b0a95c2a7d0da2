import Foundation
import XCTest

@testable import Binlog

/// Every column value of the real MySQL 5.1-8.0 binlogs in ../shared/fixtures/binlog (third-party
/// test data, read in place) against the reference `mariadb-binlog -vv` text beside each file:
/// integers (signed and the `-1 (255)` unsigned form), DECIMAL exactly, FLOAT/DOUBLE as the same
/// binary value, DATE/TIME/DATETIME text, TIMESTAMP epoch seconds, YEAR, BIT, ENUM/SET numbers,
/// NULL and printable text. Values it cannot render comparably (escaped text, JSON, GEOMETRY)
/// are counted as skipped.
final class ValuesSharedFixtureTests: XCTestCase {
    func testEveryValueAgreesWithMariaDBBinlog() throws {
        let dir = try FixturePaths.sharedBinlogDir()
        var compared: [String: Int] = [:]
        for name in SharedFixtureFilesTests.plainFiles {
            let path = dir.appendingPathComponent(name).path
            let reference = try String(contentsOfFile: path + ".mariadb-binlog.txt", encoding: .isoLatin1)
            try compare(path: path, name: name, reference: reference, into: &compared)
        }
        // The sakila sample (gzip): DECIMAL(5,2), TIMESTAMP, DATETIME, SMALLINT, MEDIUMINT by the thousand.
        let gz = dir.appendingPathComponent("mbcj/mysql-bin.sakila.gz")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-values-sakila-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try gunzipped(gz).write(to: tmp)
        let refText = String(
            decoding: try gunzipped(dir.appendingPathComponent("mbcj/mysql-bin.sakila.mariadb-binlog.txt.gz")),
            as: UTF8.self)
        try compare(path: tmp.path, name: "mbcj/mysql-bin.sakila", reference: refText, into: &compared)
        for kind in ["int", "decimal", "double", "timestamp", "datetime", "null", "string"] {
            XCTAssertGreaterThan(compared[kind, default: 0], 0, "no \(kind) value compared: \(compared)")
        }
        XCTAssertGreaterThan(compared["decimal", default: 0], 10_000)
    }

    private func gunzipped(_ url: URL) throws -> Data {
        let p = Process()
        let out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", url.path]
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "gzip -dc \(url.path)")
        return data
    }

    private func compare(path: String, name: String, reference: String, into compared: inout [String: Int]) throws {
        // `###   @N=VALUE /* TYPE meta=... */` lines, in order.
        var refs: [Substring] = []
        for line in reference.split(separator: "\n") where line.hasPrefix("###   @") {
            let body = line.dropFirst(6)
            var value = body.range(of: " /* ").map { body[..<$0.lowerBound] } ?? body
            while value.last == " " { value = value.dropLast() }  // FLOAT/DOUBLE are printed padded
            refs.append(value[(value.firstIndex(of: "=").map { value.index(after: $0) } ?? value.startIndex)...])
        }
        var events = try BinlogFileEvents(path: path)
        var k = 0
        while k < refs.count, let e = try? events.next() {
            guard case .rows(let r) = e.body, let t = events.decoder.tables[r.tableID] else { continue }
            for i in 0..<r.rowCount {
                let images = [(r.before, r.beforeColumns), (r.after, r.afterColumns)]
                for (values, cols) in images where !cols.isEmpty {
                    for (j, c) in cols.enumerated() where k < refs.count {
                        let v = values[i * cols.count + j]
                        if let kind = Self.agrees(v, t.columns[c], refs[k], file: name, index: k) {
                            compared[kind, default: 0] += 1
                        }
                        k += 1
                    }
                }
            }
        }
        XCTAssertEqual(k, refs.count, "\(name): values decoded vs reference lines")
    }

    /// Asserts `v` renders as mariadb-binlog's `ref`; returns the kind compared, nil when skipped.
    private static func agrees(
        _ v: ColumnValue, _ col: ColumnDefinition, _ ref: Substring, file: String,
        index: Int
    ) -> String? {
        func check(_ ok: Bool, _ kind: String) -> String {
            XCTAssertTrue(ok, "\(file) value \(index) (\(col.type)): ours \(v), reference \(ref)")
            return kind
        }
        if ref == "NULL" { return check(v == .null, "null") }
        switch v {
        case .null:
            return check(false, "null")
        case .int(let i):
            return check(ref == String(i) || ref.hasPrefix("\(i) ("), "int")
        case .uint(let u):
            return check(ref == String(u) || ref.hasSuffix("(\(u))"), "int")
        case .decimal(let s):
            return check(ref == s, "decimal")
        case .double(let d):
            return check(Double(ref) == d, "double")
        case .float(let f):
            return check(Double(ref) == Double(f), "double")
        case .year(let y):
            return check(ref == String(y), "year")
        case .timestamp(let ts):
            var s = String(ts.seconds)
            s.appendFraction(ts.microseconds, fsp: ts.fsp)
            return check(ref == s, "timestamp")
        case .datetime(let dt):
            var s = "'"
            dt.appendText(into: &s)
            return check(ref == s + "'", "datetime")
        case .date(let d):
            var s = ""
            d.appendText(into: &s)
            return check(ref == "'" + s.replacingOccurrences(of: "-", with: ":") + "'", "date")
        case .time(let t):
            var s = "'"
            t.appendText(into: &s)
            return check(ref == s + "'", "time")
        case .string(let s):
            guard s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "'" && $0 != "\\" }) else {
                return nil
            }
            return check(ref == "'\(s)'", "string")
        case .bytes(let b):
            guard b.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x27 && $0 != 0x5C }) else { return nil }
            return check(ref == "'" + String(decoding: b, as: UTF8.self) + "'", "string")
        case .enumValue(let index, _):
            return check(ref == String(index), "enum")
        case .set(let b, _), .bit(let b):
            // Printed as a bit string: b'00001100'.
            guard ref.hasPrefix("b'"), let parsed = UInt64(ref.dropFirst(2).dropLast(), radix: 2) else {
                return check(false, "bits")
            }
            return check(parsed == b, "bits")
        case .json, .jsonDiff, .geometry, .vector:
            return nil
        }
    }
}
