import Foundation
import TestSupport
import XCTest

/// `sluice bench catchup --rows 3000`, the built binary with its own sandbox and its own
/// `sluice run`: the backlog drained into both sinks, every ceiling measured, a last JSON line
/// whose figures hang together (not a timing test).
final class BenchCatchupProcessTests: XCTestCase {
    /// Runs `sluice bench catchup` with `arguments` and checks what every run prints for `rows`
    /// row changes; returns its output, its last (JSON) line and that line's object.
    private func catchup(_ arguments: [String], rows: Int) throws -> (
        output: String, jsonLine: Substring, report: [String: Any]
    ) {
        let folder = try SandboxFolder(label: "bench-catchup-test")
        defer { folder.close() }
        let result = try folder.run(
            service: "bench-catchup", executable: try BuiltBinary.path(), arguments: ["bench", "catchup"] + arguments,
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/bench.log", timeout: 180)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("decode (one thread): \(rows) rows"), result.output)
        XCTAssertTrue(result.output.contains("pipelined HSET (same keys and fields): \(rows) rows"), result.output)
        // One message per row change, read back from the daemon's topic and produced again.
        XCTAssertTrue(
            result.output.contains("Kafka produce (the daemon's messages again): \(rows) rows"), result.output)
        let jsonLine = try XCTUnwrap(result.output.split(separator: "\n").last { $0.hasPrefix("{") }, result.output)
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])
        XCTAssertEqual(r["rows"] as? Int, rows, String(jsonLine))
        return (result.output, jsonLine, r)
    }

    func testSmallBacklogIsDrainedAndEveryCeilingReported() throws {
        let (output, jsonLine, r) = try catchup(["--rows", "3000"], rows: 3000)
        XCTAssertTrue(output.contains("backlog: 3000 row changes in 3 transactions"), output)
        func number(_ name: String) throws -> Double {
            try XCTUnwrap((r[name] as? NSNumber)?.doubleValue, "\(name) missing in \(jsonLine)")
        }
        XCTAssertEqual(try number("rows_per_s") * number("seconds"), 3000, accuracy: 30, String(jsonLine))
        for name in ["decode_rows_per_s", "redis_hset_rows_per_s", "kafka_produce_rows_per_s"] {
            XCTAssertGreaterThan(try number(name), 0, name)
        }
        // The daemon's own peak (a separate process): more than nothing, far below a leak.
        XCTAssertGreaterThan(try number("peak_rss_mb"), 5, String(jsonLine))
        XCTAssertLessThan(try number("peak_rss_mb"), 1024, String(jsonLine))
        // Its CPU time until it caught up, and per row.
        XCTAssertGreaterThan(try number("daemon_cpu_s"), 0, String(jsonLine))
        XCTAssertEqual(
            try number("daemon_cpu_us_per_row"), try number("daemon_cpu_s") * 1e6 / 3000, accuracy: 2,
            String(jsonLine))
    }

    /// `--single-transaction`: the same row changes as one transaction, which the daemon streams
    /// in chunks; every row still reaches both sinks once.
    func testSingleTransactionBacklogIsDrained() throws {
        let output = try catchup(["--rows", "2000", "--single-transaction"], rows: 2000).output
        XCTAssertTrue(output.contains("backlog: 2000 row changes in 1 transaction written"), output)
    }
}
