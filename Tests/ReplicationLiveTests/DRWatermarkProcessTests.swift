import Foundation
import MySQLSource
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// The DR watermark end to end, every hop a real process (MariaDB, `sluice run` into the primary
/// cluster and Tansu, `sluice dr-apply` into the DR cluster): after a workload the watermark
/// `sluice status` shows is the source's binlog end and GTID, and while the source is idle the
/// DR lag stays near 0 (the markers keep `as_of` current: no row has to arrive for it).
final class DRWatermarkProcessTests: XCTestCase {
    func testStatusShowsTheSourcePositionAndTheDRLagStaysNearZeroWhileIdle() throws {
        // Markers every 0.5 s: the idle lag is bounded by a heartbeat (1 s) plus an interval
        // plus the applier's poll, under 2 s; 3 s leaves room for a loaded machine.
        let chain = try ChainFixture(accounts: 60, kafkaSettings: ["watermark_interval_ms = 500"])
        defer { chain.close() }
        let daemon = try chain.startDaemon()
        let applier = try chain.startDRApply()

        // A workload: transfers across accounts whose rows spread over the 3 partitions.
        let workload = chain.workload
        let stopWorkload = chain.startWorkload(pause: 0.002)
        eventually(timeout: 30, interval: 0.05) {
            workload.progress.committed >= 300 || workload.progress.error != nil
        }
        XCTAssertNil(stopWorkload())
        XCTAssertGreaterThanOrEqual(workload.progress.committed, 300)

        let daemonAt = try chain.waitForDaemon(daemon)
        XCTAssertTrue(daemonAt.caughtUp, "daemon not caught up to \(daemonAt.end): \(LogFile.tail(chain.runLogPath))")
        let gtid = try chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
        XCTAssertFalse(gtid.isEmpty)
        let expected = "\(daemonAt.end) gtid \(gtid)"
        var row = chain.drStatus()
        eventually(timeout: 30, interval: 0.2) {
            row = chain.drStatus()
            return row?.watermark == expected
        }
        XCTAssertEqual(row?.watermark, expected, "\(String(describing: row))\n" + LogFile.tail(chain.drLogPath))
        let equal = try chain.waitForDREquality(deletedKeys: [])
        XCTAssertTrue(equal.check.consistent, equal.check.summary)

        // Idle: nothing is written to MariaDB for 30 s (the issue's figure: 60 marker intervals,
        // 30 heartbeats); every look at the DR lag (the applier's metrics, the watermark's own
        // gauge) stays under 3 s.
        var samples: [Double] = []
        let idleEnd = Date().addingTimeInterval(30)
        while Date() < idleEnd {
            let scrape = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
            let lag = try XCTUnwrap(scrape.value(#"sluice_dr_lag_seconds{cluster="dr"}"#), scrape.text)
            XCTAssertEqual(scrape.value(#"sluice_dr_watermark_lag_seconds{cluster="dr"}"#), lag)
            samples.append(lag)
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertGreaterThan(samples.count, 30)
        XCTAssertLessThan(samples.max() ?? .infinity, 3, "DR lag while idle: \(samples)")
        let idleRow = try XCTUnwrap(chain.drStatus())
        XCTAssertEqual(idleRow.state, .ok, "\(idleRow)")
        XCTAssertLessThan(idleRow.seconds ?? .infinity, 3, "\(idleRow)")
        XCTAssertEqual(idleRow.watermark, expected, "idle: the watermark stays at the source's end")
        let runScrape = try MetricsScrape(port: chain.runMetricsPort, folder: chain.folder)
        XCTAssertGreaterThan(runScrape.value("sluice_dr_watermark_markers_total") ?? 0, 0, runScrape.text)
        print(
            "dr-watermark: \(workload.progress.committed) transfers, watermark \(expected); idle DR lag samples "
                + "max \(String(format: "%.2f", samples.max() ?? 0)) s over \(samples.count) looks")
        chain.stopAndExpectExitZero(applier: applier, daemon: daemon)
    }
}
