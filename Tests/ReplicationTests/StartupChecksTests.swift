import MySQLSource
import Ops
import XCTest

@testable import Replication

final class StartupChecksTests: XCTestCase {
    private func settings(sync: Int? = 1, flush: Int? = 1, format: String = "ROW", image: String = "FULL")
        -> ServerSettings
    {
        ServerSettings(
            version: "10.11.6-MariaDB", serverID: 1, logBin: true, binlogFormat: format, binlogRowImage: image,
            binlogRowMetadata: "FULL", binlogChecksum: "CRC32", syncBinlog: sync, innodbFlushLogAtTrxCommit: flush)
    }

    private let allOn = SourceConfig.Checks(
        requireSyncBinlog: true, requireInnodbFlush: true, requireRowFormat: true, requireFullRowImage: true)

    func testDurableRowFullServerPasses() {
        let c = StartupChecks(settings: settings(), checks: allOn, hasMappings: true)
        XCTAssertTrue(c.passed)
        XCTAssertEqual(c.accepted, [])
    }

    func testEachFailedCheckRefusesWithItsOverride() {
        let c = StartupChecks(
            settings: settings(sync: 0, flush: 2, format: "MIXED", image: "MINIMAL"), checks: allOn, hasMappings: true)
        XCTAssertFalse(c.passed)
        XCTAssertEqual(
            c.refusals.map(\.key),
            ["require_sync_binlog", "require_innodb_flush", "require_row_format", "require_full_row_image"])
        XCTAssertTrue(
            c.refusalText.hasPrefix("refusing to start: sync_binlog is 0, not 1: after a crash"), c.refusalText)
        XCTAssertTrue(c.refusalText.contains("binlog_row_image is MINIMAL, not FULL"), c.refusalText)
        XCTAssertTrue(
            c.refusalText.contains("(set [source.checks] require_innodb_flush = false to run anyway)"), c.refusalText)
    }

    func testOverriddenChecksBecomeWarnings() {
        var checks = allOn
        checks.requireSyncBinlog = false
        let c = StartupChecks(settings: settings(sync: nil), checks: checks, hasMappings: true)
        XCTAssertTrue(c.passed)
        XCTAssertEqual(c.acceptedText.count, 1)
        XCTAssertTrue(
            c.acceptedText[0].hasPrefix("startup check require_sync_binlog is off: sync_binlog is unknown, not 1"),
            c.acceptedText[0])
        // Without mapped tables the row image does not matter.
        XCTAssertTrue(StartupChecks(settings: settings(image: "MINIMAL"), checks: allOn, hasMappings: false).passed)
    }
}
