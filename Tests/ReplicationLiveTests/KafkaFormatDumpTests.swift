import Foundation
import TestSupport
import XCTest

/// `sluice binlog dump --format sluice|debezium|canal` on the captured MariaDB fixture (the built
/// binary, as an operator runs it).
final class KafkaFormatDumpTests: XCTestCase {
    private func dump(_ format: String) throws -> (status: Int32, lines: [String]) {
        let fixture = BuiltBinary.packageRoot.appendingPathComponent(
            "Tests/BinlogTests/Fixtures/mariadb/events.000001.bin"
        ).path
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let r = try ChildProcess.run(
            executable: try BuiltBinary.path(), arguments: ["binlog", "dump", "--format", format, fixture],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: log, timeout: 60, service: "dump")
        return (r.status, r.output.split(separator: "\n").map(String.init))
    }

    private func object(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testDumpWritesEachFormatsValues() throws {
        let debezium = try dump("debezium")
        XCTAssertEqual(debezium.status, 0, debezium.lines.joined(separator: "\n"))
        XCTAssertEqual(debezium.lines.count, 14 - 4, "the first file holds 10 of the fixture's 14 row changes")
        let insert = try object(debezium.lines[0])
        XCTAssertEqual(insert["op"] as? String, "c")
        XCTAssertTrue(insert["before"] is NSNull)
        XCTAssertEqual((insert["after"] as? [String: Any])?["owner"] as? String, "alice")
        let source = try XCTUnwrap(insert["source"] as? [String: Any])
        XCTAssertEqual(source["db"] as? String, "fx")
        XCTAssertEqual(source["table"] as? String, "accounts")
        XCTAssertEqual(source["pos"] as? Int, 1036)
        XCTAssertEqual(source["gtid"] as? String, "0-1-3")
        XCTAssertEqual(try object(debezium.lines[3])["op"] as? String, "d")

        let canal = try dump("canal")
        XCTAssertEqual(canal.status, 0)
        let row = try object(canal.lines[0])
        XCTAssertEqual(row["type"] as? String, "INSERT")
        XCTAssertEqual(row["database"] as? String, "fx")
        XCTAssertEqual((row["data"] as? [[String: Any]])?.first?["id"] as? String, "1")
        XCTAssertEqual((row["mysqlType"] as? [String: String])?["owner"], "varchar")
        let update = try object(canal.lines[2])
        XCTAssertEqual(update["type"] as? String, "UPDATE")
        XCTAssertEqual((update["old"] as? [[String: String]])?.first, ["balance": "100"])

        let sluice = try dump("sluice")
        XCTAssertTrue(sluice.lines.first?.hasSuffix(#","version":null}"#) ?? false, sluice.lines.first ?? "")

        let bad = try dump("avro")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(
            bad.lines.joined().contains("--format must be json, text, sluice, debezium or canal"), "\(bad.lines)")
    }
}
