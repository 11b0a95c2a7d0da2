import Foundation
import TestSupport
import XCTest

/// `sluice bench e2e --seconds 3 --tps 200`, the built binary end to end on the full sandbox:
/// a status line per second, and a last JSON line whose figures hang together (the source's own
/// ceiling measured first, with no daemon). Not a timing
/// test: the only rate asserted is the paced one (200/s is far below what the machine does).
final class BenchE2EProcessTests: XCTestCase {
    func testShortRunReportsSaneFigures() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "bench-e2e")
        defer { folder.close() }
        let result = try folder.run(
            service: "bench-e2e", executable: executable,
            arguments: ["bench", "e2e", "--seconds", "3", "--tps", "200", "--accounts", "400", "--connections", "8"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/bench.log", timeout: 180)
        let output = result.output + LogFile.tail(folder.path + "/bench.log", lines: 80)
        XCTAssertEqual(result.status, 0, output)
        XCTAssertTrue(output.contains("polls the waiting keys every 1.0 ms"), output)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertGreaterThanOrEqual(lines.filter { $0.contains(" tps ") && $0.contains("lag p50") }.count, 2, output)
        let jsonLine = try XCTUnwrap(lines.last { $0.hasPrefix("{") }, output)
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any], jsonLine)
        func number(_ key: String) throws -> Double {
            try XCTUnwrap((r[key] as? NSNumber)?.doubleValue, "\(key) missing in \(jsonLine)")
        }
        let tps = try number("tps")
        XCTAssertEqual(tps, 200, accuracy: 30, jsonLine)
        XCTAssertEqual(try number("rows_per_s"), 2 * tps, accuracy: 1, jsonLine)
        let p50 = try number("lag_p50_ms")
        let p99 = try number("lag_p99_ms")
        let max = try number("lag_max_ms")
        XCTAssertGreaterThan(p50, 0, jsonLine)
        XCTAssertLessThanOrEqual(p50, p99, jsonLine)
        XCTAssertLessThanOrEqual(p99, max, jsonLine)
        XCTAssertLessThan(max, 30_000, jsonLine)
        XCTAssertEqual(
            try number("lag_samples"), tps * (try number("seconds")), accuracy: 2,
            "every committed transaction sampled at 200/s: \(jsonLine)")
        XCTAssertEqual(try number("lag_unseen"), 0, jsonLine)
        XCTAssertEqual(try number("poll_interval_ms"), 1, jsonLine)
        XCTAssertGreaterThan(try number("peak_rss_mb"), 5, jsonLine)
        // The source's own ceiling, the same paced load before the daemon started: 200/s too.
        let ceiling = try number("source_ceiling_tps")
        XCTAssertEqual(ceiling, 200, accuracy: 30, jsonLine)
        XCTAssertEqual(try number("tps_to_source_ceiling"), tps / ceiling, accuracy: 0.002, jsonLine)
        XCTAssertTrue(output.contains("source ceiling: the same load at 200 transactions/s"), output)
        XCTAssertTrue(output.contains(" of the source ceiling ("), output)
        XCTAssertFalse(
            output.contains("Connection refused"), "the daemon's Kafka producer stops before Tansu: \(output)")
    }
}
