import Foundation
import TestSupport
import XCTest

/// `sluice bench snapshot --rows 3000`, the built binary with its own sandbox: every row loaded,
/// a last JSON line whose figures hang together (not a timing test).
final class BenchSnapshotProcessTests: XCTestCase {
    func testSmallRunReportsItsFiguresAndTheHSETCeiling() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "bench-snapshot-test")
        defer { folder.close() }
        let result = try folder.run(
            service: "bench-snapshot", executable: executable,
            arguments: ["bench", "snapshot", "--rows", "3000", "--chunk-rows", "700"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/bench.log", timeout: 180)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("loaded 3000 rows into bench.accounts"), result.output)
        let jsonLine = try XCTUnwrap(result.output.split(separator: "\n").last { $0.hasPrefix("{") }, result.output)
        let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any])
        XCTAssertEqual(r["rows"] as? Int, 3000, String(jsonLine))
        let rate = try XCTUnwrap((r["rows_per_s"] as? NSNumber)?.doubleValue)
        let seconds = try XCTUnwrap((r["seconds"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(rate * seconds, 3000, accuracy: 30, String(jsonLine))
        let hset = try XCTUnwrap((r["hset_pipelined_rows_per_s"] as? NSNumber)?.doubleValue)
        XCTAssertGreaterThan(hset, 0)
        XCTAssertEqual(try XCTUnwrap((r["ratio_to_hset"] as? NSNumber)?.doubleValue), rate / hset, accuracy: 0.01)
        XCTAssertGreaterThan(try XCTUnwrap(r["peak_rss_mb"] as? Int), 0)
    }
}
