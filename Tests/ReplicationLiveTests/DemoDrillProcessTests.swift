import Foundation
import TestSupport
import XCTest

/// `sluice demo --drill --drills 10` with the built binary: ten times, the whole primary region
/// (MariaDB, `sluice run`, the primary Redis cluster) killed with SIGKILL under the transfer
/// workload, the semi-synchronous DR MariaDB promoted, `sluice failover` run, and the DR cluster
/// compared with the promoted MySQL row by row: no acknowledged transfer missing from the promoted
/// MySQL, no row of it missing or behind in the DR cluster (RPO 0), the DR cluster caught up
/// within 10 s of the failover's start, and no row *newer* in the DR cluster than in the promoted
/// MySQL either, in every drill: a change the old primary wrote to its binlog and the daemon
/// shipped before the semi-synchronous replica had it (never acknowledged to a client) is found
/// by the failover and its keys rewritten from the promoted server (`rewritten_keys`; the drill
/// meets it in about one drill of ten, `RegionFailoverProcessTests` makes it certain).
final class DemoDrillProcessTests: XCTestCase {
    func testTenDrillsLoseNothingAndRecoverWithinTenSeconds() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "drill")
        defer { folder.close() }
        let result = try folder.run(
            service: "drill", executable: executable,
            arguments: ["demo", "--drill", "--drills", "10", "--accounts", "30"],
            workingDirectory: BuiltBinary.packageRoot.path, logPath: folder.path + "/drill.log", timeout: 600)
        let output = result.output
        let last = try XCTUnwrap(output.split(separator: "\n").last, output)
        let report = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], String(last))
        let drills = try XCTUnwrap(report["per_drill"] as? [[String: Any]], String(last))
        XCTAssertEqual(drills.count, 10, String(last))
        for (index, drill) in drills.enumerated() {
            XCTAssertGreaterThan(drill["transactions"] as? Int ?? 0, 0, "drill \(index + 1): \(drill)")
            XCTAssertEqual(drill["rpo_rows"] as? Int, 0, "drill \(index + 1): \(drill)\n\(output)")
            XCTAssertEqual(drill["rpo_transactions"] as? Int, 0, "drill \(index + 1): \(drill)\n\(output)")
            XCTAssertLessThan(drill["rto_seconds"] as? Double ?? 99, 10, "drill \(index + 1): \(drill)")
            XCTAssertEqual(drill["ahead_rows"] as? Int, 0, "drill \(index + 1): \(drill)\n\(output)")
            XCTAssertEqual(drill["consistent"] as? Bool, true, "drill \(index + 1): \(drill)\n\(output)")
        }
        XCTAssertEqual(report["consistent"] as? Bool, true, String(last))
        XCTAssertEqual(result.status, 0, output)
        let figures = output.split(separator: "\n").filter {
            ($0.hasPrefix("drill ") && $0.contains("RPO")) || $0.contains("before the failover")
                || $0.contains("sluice failover: ") || $0.contains("newer in the DR cluster")
        }
        print("DemoDrillProcessTests:\n" + figures.joined(separator: "\n"))
    }
}
