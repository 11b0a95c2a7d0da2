import Binlog
import Foundation
import Kafka
import MySQLSource
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// `kill -9` of the built `sluice run` binary at random moments while a payments workload runs,
/// each time restarted: no account's version in the primary cluster ever goes down (a watcher
/// reads them all the time), and once the workload stops and the daemon caught up, MySQL equals
/// Redis row by row and Kafka holds every committed change at least once, in order per key.
final class DaemonKillTests: XCTestCase {
    func testKillNineAtRandomMomentsWhileTheWorkloadRuns() throws {
        let started = Date()
        let chain = try ChainFixture(accounts: 40, partitions: 3)
        defer { chain.close() }
        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0)
        let watcher = VersionWatcher(redis: try chain.client(chain.sandbox.primary), highestID: { workload.highestID })

        // Kill at a random moment 0.3-1.8 s after each start: during startup, the first catch-up,
        // or the steady stream.
        var kills = 0
        var positions: Set<BinlogPosition> = []
        while kills < 22 {
            let child = try chain.startDaemon()
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...1.8))
            XCTAssertTrue(child.isRunning, "the daemon ended by itself: \(chain.runLogTail())")
            chain.kill9(child)
            kills += 1
            if let c = try chain.sinkCheckpoints().kafka { positions.insert(c.position) }
            if workload.error != nil { break }
        }
        let killSeconds = Date().timeIntervalSince(started)

        // Last start: stop the workload, let the daemon reach the binlog's end.
        let child = try chain.startDaemon()
        Thread.sleep(forTimeInterval: 1)
        let (check, kafka) = try chain.finishFaultTest(workload, daemon: child)
        let watched = watcher.stop()
        XCTAssertEqual(watched.regressions, [], "a version went down")
        XCTAssertGreaterThan(watched.sweeps, 20)
        XCTAssertGreaterThan(positions.count, 5, "the Kafka checkpoint moved between kills")
        let committed = workload.committed
        print(
            "DaemonKillTests: survived \(kills) kill -9 in \(Int(killSeconds)) s; committed \(committed) "
                + "(\(committed.values.reduce(0, +)) transactions); \(check.rowsChecked) rows equal, "
                + "\(workload.deleted.count) deleted absent; watcher \(watched.sweeps) sweeps, \(watched.reads) reads, "
                + "no regression; Kafka \(kafka.summary); \(positions.count) distinct checkpoints between kills; "
                + "\(Int(Date().timeIntervalSince(started))) s in all")
    }
}
