import Foundation
import MySQLSource
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// The DR region end to end, every hop a real process: the payments workload in MariaDB, the
/// built `sluice run` into the primary cluster and Tansu, the built `sluice dr-apply` from Tansu
/// into the DR cluster. The DR cluster must end equal to MySQL row by row (keys, values,
/// versions; deleted rows absent) through every fault the applier meets.
final class DRChainProcessTests: XCTestCase {
    func testDRApplyKilledTenTimesMidStreamThenDREqualsMySQL() throws {
        let chain = try ChainFixture(accounts: 100)
        defer { chain.close() }
        let daemon = try chain.startDaemon()
        let stopWorkload = chain.startWorkload(pause: 0.005)
        let dr = try chain.client(chain.sandbox.dr)

        // Rows that come and go mid-stream: each round inserts 5 accounts and deletes 3 of the
        // previous round's.
        var deleted: [String] = []
        var inserted = 0
        let totals = try DRKills.run(
            times: 10, start: chain.startDRApply, folder: chain.folder, logPath: chain.drLogPath,
            storedTotal: { try chain.drStoredTotal(dr) },
            between: { round in
                let base = 100_000 + round * 10
                let values = (base..<base + 5).map { "(\($0), 'side-\($0)', 1.00, 1)" }
                _ = try chain.db.execute("INSERT INTO payments.accounts VALUES " + values.joined(separator: ","))
                inserted += 5
                if round > 0 {
                    _ = try chain.db.execute(
                        "DELETE FROM payments.accounts WHERE id BETWEEN \(base - 10) AND \(base - 8)")
                    deleted += (base - 10...base - 8).map { "account:\($0)" }
                }
            })
        XCTAssertEqual(totals.count, 10)
        XCTAssertTrue(
            zip([0] + totals, totals).allSatisfy { $0 < $1 }, "each applier applied before its kill: \(totals)")
        XCTAssertNil(stopWorkload())
        let daemonAt = try chain.waitForDaemon(daemon)
        XCTAssertTrue(daemonAt.caughtUp, "daemon not caught up to \(daemonAt.end): \(LogFile.tail(chain.runLogPath))")

        // The eleventh applier catches up by itself.
        let applier = try chain.startDRApply()
        let equal = try chain.waitForDREquality(deletedKeys: deleted)
        XCTAssertTrue(equal.check.consistent, equal.check.summary + "\n" + LogFile.tail(chain.drLogPath))
        XCTAssertEqual(equal.check.rowsChecked, 100 + inserted - deleted.count)
        let final = try chain.drStoredTotal(dr)
        XCTAssertLessThan(totals.last ?? 0, final, "the last kill left messages to apply")
        // The daemon's watermark markers keep arriving (one per partition every second): a look
        // between a round's production and its apply sees them behind, so wait for a look at 0.
        var status = try XCTUnwrap(chain.drStatus())
        try eventually(timeout: 20, interval: 0.05) {
            status = try XCTUnwrap(chain.drStatus())
            return status.messages == 0
        }
        XCTAssertEqual(status.messages, 0, "\(status)")
        XCTAssertEqual(status.state, .ok, "\(status)")
        print(
            "dr-chain kills: \(totals.count) kills survived, stored offsets at each kill \(totals), final \(final) messages; "
                + "\(chain.workload.progress.committed) transfers, \(equal.check.rowsChecked) rows equal, "
                + "\(deleted.count) deleted rows absent; caught up \(String(format: "%.1f", equal.seconds)) s after the last start"
        )


        // What both endpoints expose after this workload (the names declared, the ones sampled).
        let runScrape = try MetricsScrape(port: chain.runMetricsPort, folder: chain.folder)
        let drScrape = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
        let known = SluiceMetrics.all.map(\.name)
        for scrape in [runScrape, drScrape] {
            XCTAssertEqual(scrape.names.sorted(), known.sorted(), scrape.text)
        }
        XCTAssertTrue(
            Set(drScrape.sampledNames).isSuperset(of: [
                "sluice_dr_lag_seconds", "sluice_dr_messages_behind", "sluice_sink_rows_applied_total",
                "sluice_sink_batches_total",
            ]), drScrape.text)
        // Every metric has samples on one side or the other (errors and rewinds only once one
        // happened, WAIT shortfalls only with wait_replicas > 0; the ledger's own metrics only in
        // the ledger service).
        let conditional =
            ["sluice_errors_total", "sluice_rewinds_total", "sluice_redis_wait_shortfalls_total"]
            + known.filter { $0.hasPrefix("sluice_ledger_") }
        XCTAssertEqual(
            Set(runScrape.sampledNames).union(drScrape.sampledNames).union(conditional), Set(known),
            runScrape.text + drScrape.text)
        print("dr-chain metrics: run samples \(runScrape.sampledNames); dr-apply samples \(drScrape.sampledNames)")
        chain.stopAndExpectExitZero(applier: applier, daemon: daemon)
    }

    /// Tansu keeps its topics in memory only, so the outage is a freeze (SIGSTOP), not a stop:
    /// connections stay open and nothing answers, which is what a hung or partitioned broker looks
    /// like, but not a refused connection (docs/dr.md).
    func testBrokerFrozenTwentySecondsDRApplyHoldsAndCatchesUp() throws {
        let chain = try ChainFixture(accounts: 50)
        defer {
            chain.sandbox.kafka.thaw()
            chain.close()
        }
        let daemon = try chain.startDaemon()
        let applier = try chain.startDRApply()
        let stopWorkload = chain.startWorkload(pause: 0.01)
        let dr = try chain.client(chain.sandbox.dr)
        try eventually(timeout: 20, interval: 0.1) { try chain.drStoredTotal(dr) > 0 }
        XCTAssertGreaterThan(try chain.drStoredTotal(dr), 0, LogFile.tail(chain.drLogPath))
        Thread.sleep(forTimeInterval: 1)

        let lagSeries = #"sluice_dr_lag_seconds{cluster="dr"}"#
        let errorSeries = #"sluice_errors_total{kind="kafka"}"#
        let logStart = LogFile.size(chain.drLogPath)
        let before = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
        XCTAssertTrue(chain.sandbox.kafka.freeze())
        let frozenAt = Date()
        Thread.sleep(forTimeInterval: 4)
        let early = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
        Thread.sleep(forTimeInterval: max(0, 19 - Date().timeIntervalSince(frozenAt)))
        let late = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
        let heldStored = try chain.drStoredTotal(dr)
        Thread.sleep(forTimeInterval: max(0, 20 - Date().timeIntervalSince(frozenAt)))
        chain.sandbox.kafka.thaw()
        let thawedAt = Date()
        let frozen = thawedAt.timeIntervalSince(frozenAt)

        XCTAssertTrue(applier.isRunning, LogFile.tail(chain.drLogPath))
        let lagEarly = try XCTUnwrap(early.value(lagSeries), early.text)
        let lagLate = try XCTUnwrap(late.value(lagSeries), late.text)
        XCTAssertGreaterThan(lagLate - lagEarly, 10, "DR lag grows while the broker is frozen")
        XCTAssertGreaterThan(late.value(errorSeries) ?? 0, before.value(errorSeries) ?? 0, late.text)
        let held = LogFile.read(chain.drLogPath, from: logStart)
        let why = held.split(separator: "\n").filter { $0.contains("Kafka brokers not answering") }
        XCTAssertFalse(why.isEmpty, held)

        // Caught up by itself: nothing restarted.
        Thread.sleep(forTimeInterval: 2)
        XCTAssertNil(stopWorkload())
        let daemonAt = try chain.waitForDaemon(daemon, timeout: 90)
        XCTAssertTrue(daemonAt.caughtUp, "daemon not caught up to \(daemonAt.end): \(LogFile.tail(chain.runLogPath))")
        let equal = try chain.waitForDREquality(deletedKeys: [], timeout: 60)
        XCTAssertTrue(equal.check.consistent, equal.check.summary + "\n" + LogFile.tail(chain.drLogPath))
        XCTAssertEqual(equal.check.rowsChecked, 50)
        XCTAssertGreaterThan(try chain.drStoredTotal(dr), heldStored)
        let after = try MetricsScrape(port: chain.drMetricsPort, folder: chain.folder)
        XCTAssertLessThan(after.value(lagSeries) ?? .infinity, lagLate, after.text)
        print(
            "dr-chain broker freeze: frozen \(String(format: "%.1f", frozen)) s, DR lag \(lagEarly) s -> \(lagLate) s, "
                + "kafka errors \(late.value(errorSeries) ?? 0), log: \(why.first ?? ""); "
                + "DR equal \(String(format: "%.1f", Date().timeIntervalSince(thawedAt))) s after the thaw, "
                + "\(chain.workload.progress.committed) transfers, \(equal.check.rowsChecked) rows")

        XCTAssertTrue(applier.isRunning, LogFile.tail(chain.drLogPath))
        chain.stopAndExpectExitZero(applier: applier, daemon: daemon)
    }
}
