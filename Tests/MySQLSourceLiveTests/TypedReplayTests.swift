import BinlogCompression
import Foundation
import MySQLSource
import TestSupport
import XCTest

@testable import Binlog

/// A typed workload replayed through `sluice binlog dump` (`BinlogDump`, the command's decoder
/// and JSON writer) on a real MariaDB 10.11, compared value by value with what the server returns
/// for the same rows: every column type (`ReplayCatalogue`), random and edge values, inserts,
/// updates and deletes, for `binlog_row_metadata` MINIMAL and FULL and `binlog_row_image` FULL,
/// MINIMAL and NOBLOB. MINIMAL metadata carries signedness and charsets; only FULL names the
/// columns and the ENUM/SET members (without them ENUM and SET come out as numbers). One server; the variables change between passes, each pass in its own
/// binlog file.
final class TypedReplayTests: XCTestCase {
    private struct Expected {
        var op: String
        var before: [String: Stored]?
        var after: [String: Stored]?
    }

    /// A stored value as the server returns it: the compared text and the raw form (nil = NULL).
    struct Stored: Equatable {
        var full: String?
        var raw: String?
    }

    func testEveryColumnTypeReplaysValueByValue() throws {
        let folder = try SandboxFolder(label: "typed-replay")
        defer { folder.close() }
        let server = try MariaDBServer(in: folder, ports: PortAllocator())
        let admin = try server.connect()
        try Self.checkCollations(admin)
        let alphabets = try Self.alphabets(admin)
        let columns =
            ReplayCatalogue.integers() + ReplayCatalogue.numbers() + ReplayCatalogue.temporal()
            + ReplayCatalogue.strings(alphabets: alphabets) + ReplayCatalogue.others()
        try admin.execute("CREATE DATABASE typed")
        try admin.execute(
            "CREATE TABLE typed.t (id INT PRIMARY KEY, counter INT NOT NULL, "
                + columns.map { "`\($0.name)` \($0.sqlType)" }.joined(separator: ", ")
                + ") ROW_FORMAT=DYNAMIC")
        // SLUICE_REPLAY_SEED replays a failing run; SLUICE_REPLAY_REPORT=FILE writes every mismatch.
        let seed =
            UInt64(ProcessInfo.processInfo.environment["SLUICE_REPLAY_SEED"] ?? "") ?? UInt64.random(in: 1...9_999_999)
        var rng = ReplayRandom(seed: seed)
        var compared = 0
        var mismatches: [String] = []
        var pass = 0
        for metadata in ["MINIMAL", "FULL"] {
            for image in ["FULL", "MINIMAL", "NOBLOB"] {
                pass += 1
                try admin.execute("SET GLOBAL binlog_row_metadata = \(metadata)")
                let db = try server.connect()
                try db.execute("SET time_zone = '+00:00'")
                try db.execute("SET SESSION binlog_row_image = \(image)")
                try db.execute("FLUSH BINARY LOGS")
                let file = try XCTUnwrap(try db.query("SHOW MASTER STATUS").value("File"))
                let expected = try workload(db, columns, pass: pass, rng: &rng)
                try db.execute("FLUSH BINARY LOGS")
                var lines: [String] = []
                _ = try BinlogDump(
                    options: BinlogDump.Options(format: .json, tables: ["typed.t"]),
                    textConverter: IconvTextConverter()
                )
                .run(files: [server.dataDirectory + "/" + file]) { lines.append($0) }
                let place = "seed \(seed), binlog_row_metadata=\(metadata), binlog_row_image=\(image)"
                XCTAssertEqual(lines.count, expected.count, "row changes in \(file) (\(place))")
                for (line, want) in zip(lines, expected) {
                    compared += try compare(
                        line, want, columns, full: metadata == "FULL", image: image, place: place, into: &mismatches)
                }
            }
        }
        if let path = ProcessInfo.processInfo.environment["SLUICE_REPLAY_REPORT"] {
            try mismatches.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(mismatches.count, 0, "first mismatches:\n" + mismatches.prefix(400).joined(separator: "\n"))
        // 6 passes of 24 inserts, 12 updates and 8 deletes over ~150 columns.
        XCTAssertGreaterThan(compared, 20_000, "values compared (seed \(seed))")
    }

    /// Inserts 24 rows (smallest, largest, NULL, random), updates 12 (all columns or a few),
    /// deletes 8; returns the row changes the binlog must hold, read back from the server.
    private func workload(_ db: MySQLConnection, _ columns: [ReplayColumn], pass: Int, rng: inout ReplayRandom) throws
        -> [Expected]
    {
        let ids = (1...24).map { pass * 100 + $0 }
        var tuples: [String] = []
        for (k, id) in ids.enumerated() {
            let values = columns.map { k == 2 ? "NULL" : $0.literal(&rng, k < 2 ? k : 2) }
            tuples.append("(\(id), \(k), " + values.joined(separator: ", ") + ")")
        }
        try db.execute("INSERT INTO typed.t VALUES " + tuples.joined(separator: ", "))
        var rows = try read(db, columns, ids)
        var out = ids.map { Expected(op: "insert", before: nil, after: rows[$0]) }
        for (k, id) in ids.prefix(12).enumerated() {
            let changed = k % 2 == 0 ? columns : (0..<3).map { _ in columns[rng.int(0...(columns.count - 1))] }
            let sets = changed.map {
                "`\($0.name)` = " + (rng.int(0...9) == 0 ? "NULL" : $0.literal(&rng, rng.int(0...4)))
            }
            try db.execute(
                "UPDATE typed.t SET counter = counter + 1000, \(sets.joined(separator: ", ")) WHERE id = \(id)")
            let after = try read(db, columns, [id])
            out.append(Expected(op: "update", before: rows[id], after: after[id]))
            rows[id] = after[id]
        }
        let deleted = ids.suffix(8)
        try db.execute("DELETE FROM typed.t WHERE id IN (\(deleted.map(String.init).joined(separator: ",")))")
        out += deleted.map { Expected(op: "delete", before: rows[$0], after: nil) }
        return out
    }

    private func read(_ db: MySQLConnection, _ columns: [ReplayColumn], _ ids: [Int]) throws -> [Int: [String: Stored]]
    {
        let select =
            ["id", "CAST(counter AS CHAR) AS `f.counter`", "CAST(counter AS CHAR) AS `r.counter`"]
            + columns.flatMap { ["\($0.readBack) AS `f.\($0.name)`", "\($0.rawReadBack) AS `r.\($0.name)`"] }
        let result = try db.query(
            "SELECT \(select.joined(separator: ", ")) FROM typed.t WHERE id IN (\(ids.map(String.init).joined(separator: ",")))"
        )
        var out: [Int: [String: Stored]] = [:]
        for row in result.rows.indices {
            guard let id = result.value("id", row: row).flatMap(Int.init) else { continue }
            var values: [String: Stored] = [:]
            for name in ["counter"] + columns.map(\.name) {
                values[name] = Stored(
                    full: result.value("f.\(name)", row: row), raw: result.value("r.\(name)", row: row))
            }
            out[id] = values
        }
        XCTAssertEqual(out.count, ids.count, "rows read back")
        return out
    }

    /// Compares one dump line with the expected change; returns the number of values compared.
    private func compare(
        _ line: String, _ want: Expected, _ columns: [ReplayColumn], full: Bool, image: String, place: String,
        into mismatches: inout [String]
    ) throws -> Int {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        guard object["op"] as? String == want.op else {
            mismatches.append("\(place): op \(object["op"] ?? "-") where \(want.op) was expected: \(line.prefix(200))")
            return 0
        }
        let names = ["id", "counter"] + columns.map(\.name)
        let byName = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0) })
        var count = 0
        for (label, expected) in [("before", want.before), ("after", want.after)] {
            guard let expected else { continue }
            guard let got = object[label] as? [String: Any] else {
                mismatches.append("\(place): \(want.op) has no \(label) image")
                continue
            }
            // MINIMAL metadata has no names: `@n` is the n-th column.
            var present: [String: Any] = [:]
            for (key, value) in got {
                let name = key.hasPrefix("@") ? Int(key.dropFirst()).map { names[$0 - 1] } ?? key : key
                present[name] = value
            }
            let required: [String]
            switch image {
            case "FULL": required = names
            case "NOBLOB" where label == "after" && want.op == "insert":
                required = names.filter { !Self.isBlob(byName[$0]) }
            default: required = ["id"].filter { _ in label == "before" }
            }
            for name in required where present[name] == nil {
                mismatches.append("\(place): \(want.op) \(label) image lacks \(name)")
            }
            let id = present["id"].map { "\($0)" } ?? "?"
            for (name, value) in present {
                count += 1
                if name == "id" { continue }
                guard let stored = expected[name] else {
                    mismatches.append("\(place): unexpected column \(name)")
                    continue
                }
                if let column = byName[name] {
                    if let problem = Self.mismatch(value, stored, column.kind, fullMetadata: full) {
                        mismatches.append(
                            "\(place): id \(id) \(want.op) \(label) \(name) \(column.sqlType): \(problem)")
                    }
                } else if let problem = Self.mismatch(
                    value, stored, .integer(bits: 32, unsigned: false), fullMetadata: full)
                {
                    mismatches.append("\(place): id \(id) \(want.op) \(label) \(name): \(problem)")
                }
            }
        }
        return count
    }

    private static func isBlob(_ c: ReplayColumn?) -> Bool {
        guard let t = c?.sqlType.uppercased() else { return false }
        return t.contains("TEXT") || t.contains("BLOB") || t.hasPrefix("JSON") || t.hasPrefix("GEOMETRY")
            || t.hasPrefix("POINT")
    }

    /// Nil when the dumped JSON value is the stored one, else what differs.
    static func mismatch(_ value: Any, _ stored: Stored, _ kind: ReplayColumn.Kind, fullMetadata: Bool) -> String? {
        guard let text = stored.full else { return value is NSNull ? nil : "got \(value), server has NULL" }
        let got: String
        let want: String
        switch kind {
        case .integer:
            // SIGNEDNESS is in MINIMAL metadata too.
            got = numberText(value)
            want = text
        case .year:
            got = numberText(value)
            want = String(Int(text) ?? -1)
        case .bit:
            got = numberText(value)
            want = UInt64(text, radix: 16).map { String($0) } ?? text
        case .decimal, .temporal:
            got = value as? String ?? "\(value)"
            want = text
        case .float:
            let v = (value as? NSNumber)?.doubleValue
            got = v.map { String(Float($0)) } ?? "\(value)"
            want = Float(text).map { String($0) } ?? text
        case .double:
            got = (value as? NSNumber).map { String($0.doubleValue) } ?? "\(value)"
            want = Double(text).map { String($0) } ?? text
        case .text, .char:
            // The charset is in MINIMAL metadata too.
            got = (value as? String).map { hex(Array($0.utf8)) } ?? "not text: \(value)"
            want = text
        case .bytes, .binary:
            got = base64Hex(value)
            want = text
        case .enumeration:
            got = fullMetadata ? value as? String ?? "\(value)" : numberText(value)
            want = fullMetadata ? text : stored.raw ?? ""
        case .set:
            got = fullMetadata ? (value as? [String])?.joined(separator: ",") ?? "\(value)" : numberText(value)
            want = fullMetadata ? text : stored.raw ?? ""
        case .inet6:
            got = base64Hex(value)
            var address = in6_addr()
            want = inet_pton(AF_INET6, text, &address) == 1 ? hex(withUnsafeBytes(of: &address) { Array($0) }) : text
        case .uuid:
            got = base64Hex(value)
            want = uuidStorage(text)
        }
        return got == want ? nil : "got \(got), server has \(want)"
    }

    /// MariaDB keeps a UUID in the row image (so in the binlog) in its text order; only index
    /// keys swap its segments.
    static func uuidStorage(_ text: String) -> String {
        text.replacingOccurrences(of: "-", with: "").uppercased()
    }

    static func numberText(_ value: Any) -> String {
        if let n = value as? NSNumber { return n.stringValue }
        return "\(value)"
    }

    static func base64Hex(_ value: Any) -> String {
        guard let s = value as? String, let data = Data(base64Encoded: s) else { return "not base64: \(value)" }
        return hex(Array(data))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    /// Every collation id the server has (MariaDB 10.11 lists its UCA 14.0 collations in
    /// COLLATION_CHARACTER_SET_APPLICABILITY only) names the charset the decoder reads it in.
    static func checkCollations(_ db: MySQLConnection) throws {
        let rows = try db.query(
            "SELECT ID AS id, CHARACTER_SET_NAME AS cs FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY")
        XCTAssertGreaterThan(rows.rows.count, 500, "collations listed")
        for row in rows.rows.indices {
            guard let id = rows.value("id", row: row).flatMap(UInt32.init), let charset = rows.value("cs", row: row)
            else {
                continue
            }
            XCTAssertEqual(TextCharset.charsetName(collation: id), charset, "collation \(id)")
        }
    }

    /// For each charset, the characters of `ReplayCatalogue.pool` it can store (the server turns
    /// the others into `?`).
    static func alphabets(_ db: MySQLConnection) throws -> [String: [Character]] {
        let pool = ReplayCatalogue.pool.map { String($0) }
        var out: [String: [Character]] = [:]
        for charset in ReplayCatalogue.charsets {
            let items = pool.map { "HEX(CONVERT(CONVERT(\(utf8Literal($0)) USING \(charset)) USING utf8mb4))" }
            let row = try db.query("SELECT CONCAT_WS(',', \(items.joined(separator: ", "))) AS h")
            let back = (row.value("h") ?? "").split(separator: ",", omittingEmptySubsequences: false)
            out[charset] = zip(pool, back).filter { hex(Array($0.0.utf8)) == $0.1 }.map { Character($0.0) }
            XCTAssertGreaterThan(out[charset]?.count ?? 0, 8, "alphabet of \(charset)")
        }
        return out
    }
}
