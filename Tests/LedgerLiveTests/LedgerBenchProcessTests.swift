import Foundation
import TestSupport
import XCTest

/// `sluice bench ledger` with the built binary, every phase for 1 s: the report's last line is a
/// JSON object with the ledger's figures beside both ceilings from the same run, the optional
/// phases' keys, the money conserved and no errors. (Figures are not judged here: a benchmark
/// measures them, docs/ledger.md records them.)
final class LedgerBenchProcessTests: XCTestCase {
    func testEveryPhaseRunsAndTheReportIsOneJSONLine() throws {
        let binary = BuiltBinary.packageRoot.appendingPathComponent(".build/debug/sluice").path
        let folder = try SandboxFolder(label: "bench-ledger-test")
        defer { folder.close() }
        let result = try folder.run(
            service: "bench-ledger", executable: binary,
            arguments: [
                "bench", "ledger", "--seconds", "1", "--connections", "4", "--accounts", "100", "--single-shard",
                "--sign", "--risk",
            ],
            workingDirectory: folder.path, logPath: folder.path + "/bench.log", timeout: 300)
        XCTAssertEqual(result.status, 0, result.output)
        for n in 1...6 { XCTAssertTrue(result.output.contains("phase \(n)/6: "), result.output) }
        let last = try XCTUnwrap(result.output.split(separator: "\n").last.map(String.init))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], last)
        for key in [
            "tps", "p50_ms", "p99_ms", "raw_xa_tps", "plain_tps", "ratio_to_raw_xa", "fsyncs_per_s", "one_phase_tps",
            "signed_tps", "risk_tps", "risk_ms_per_transfer",
        ] {
            XCTAssertGreaterThan((report[key] as? NSNumber)?.doubleValue ?? 0, 0, "\(key): \(last)")
        }
        XCTAssertEqual(report["conserved"] as? Bool, true, last)
        XCTAssertEqual(report["risk_signed"] as? Bool, true, "--sign and --risk: the rules run on the signed journal")
        let steps = try XCTUnwrap(report["step_ms"] as? [String: Any], last)
        for step in ["shards", "journal", "commit", "write_through"] {
            XCTAssertGreaterThan((steps[step] as? NSNumber)?.doubleValue ?? 0, 0, "step_ms.\(step): \(last)")
        }
        for key in ["errors", "one_phase_errors", "signed_errors", "risk_errors", "risk_refused"] {
            XCTAssertEqual((report[key] as? NSNumber)?.intValue, 0, "\(key): \(last)")
        }
    }
}
