import Foundation
import TestSupport
import XCTest

/// `sluice bench catchup --rows 3000`, the built binary with its own sandbox and its own
/// `sluice run`: the backlog drained into both sinks, every ceiling measured, a last JSON line
/// whose figures hang together (not a timing test).
final class BenchCatchupProcessTests: XCTestCase {
    func testSmallBacklogIsDrainedAndEveryCeilingReported() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "bench-catchup-test")
        defer { folder.close() }
        let result = try folder.run(
            service: "bench-catchup", executable: executable, arguments: ["bench", "catchup", "--rows", "3000"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/bench.log", timeout: 180)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("backlog: 3000 row changes in 3 transactions"), result.output)
        XCTAssertTrue(result.output.contains("decode (one thread): 3000 rows"), result.output)
        XCTAssertTrue(result.output.contains("pipelined HSET (same keys and fields): 3000 rows"), result.output)
        // One message per row change, read back from the daemon's topic and produced again.
        XCTAssertTrue(result.output.contains("Kafka produce (the daemon's messages again): 3000 rows"), result.output)
        let jsonLine = try XCTUnwrap(result.output.split(separator: "\n").last { $0.hasPrefix("{") }, result.output)
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])
        XCTAssertEqual(r["rows"] as? Int, 3000, String(jsonLine))
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
}
