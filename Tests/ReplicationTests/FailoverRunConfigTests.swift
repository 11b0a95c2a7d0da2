import XCTest

@testable import Replication

/// The new region's `sluice run` configuration made by `sluice failover` from the DR region's.
final class FailoverRunConfigTests: XCTestCase {
    func testTheDRClusterBecomesPrimaryAndTheOldRegionAndDRApplyAreDropped() {
        let dr = """
            # DR region
            [source]
            host = "10.0.2.5"

            [[mapping]]
            table = "payments.accounts"
            clusters = ["primary", "dr"]

            [redis.primary]
            seeds = ["10.0.1.1:7000"]

            [redis.primary.tls]
            mode = "required"

            [redis.dr]
            seeds = ["10.0.2.1:7000"]   # the DR cluster

            [redis.dr.tls]
            mode = "verify-ca"

            [dr_apply]
            topics = ["sluice.demo"]
            redis_cluster = "dr"

            [kafka]
            enabled = true
            """
        let text = FailoverRunConfig.text(from: dr, drCluster: "dr")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.contains("[redis.primary]"))
        XCTAssertTrue(lines.contains("[redis.primary.tls]"))
        XCTAssertTrue(lines.contains(#"seeds = ["10.0.2.1:7000"]   # the DR cluster"#), text)
        XCTAssertFalse(text.contains("10.0.1.1"), "the old region's cluster is gone: \(text)")
        XCTAssertFalse(text.contains(#"mode = "required""#), "with its sub-tables: \(text)")
        XCTAssertTrue(text.contains(#"mode = "verify-ca""#), text)
        XCTAssertFalse(lines.contains("[dr_apply]"))
        XCTAssertFalse(text.contains("redis_cluster"), text)
        XCTAssertTrue(lines.contains(#"clusters = ["primary"]"#), text)
        XCTAssertTrue(lines.contains(#"host = "10.0.2.5""#), "[source] kept: \(text)")
        XCTAssertTrue(lines.contains("[kafka]"))
        XCTAssertEqual(lines.filter { $0 == "[redis.primary]" }.count, 1)
    }
}
