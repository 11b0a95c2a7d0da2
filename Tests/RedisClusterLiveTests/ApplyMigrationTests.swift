import Foundation
import TestSupport
import XCTest

@testable import RedisCluster

/// Slots moving and nodes restarting while rows are applied.
final class ApplyMigrationTests: LiveClusterTestCase {
    /// Applies the log in batches on a thread; with `until`, replays it again and again until the
    /// flag is set (so the apply overlaps the whole disturbance).
    private func applyInBackground(_ log: ApplyLog, seeds: [RedisEndpoint], batch: Int, until stop: Flag? = nil) -> (
        Thread, Outcome
    ) {
        let outcome = Outcome()
        let thread = Thread {
            do {
                let client = try RedisClusterClient(topology: .cluster(seeds: seeds))
                let a = VersionedApplier(client: client, tombstoneTTLSeconds: 3600, rowsPerCall: 50)
                try a.loadLibrary()
                let writes = log.writes
                var total = 0
                repeat {
                    var i = 0
                    while i < writes.count {
                        _ = try a.apply(Array(writes[i..<min(i + batch, writes.count)]))
                        i += batch
                        total += min(batch, writes.count - (i - batch))
                        outcome.progress(total)
                    }
                } while !(stop?.isSet ?? true)
                outcome.finish(stats: a.stats, error: nil)
            } catch {
                outcome.finish(stats: nil, error: "\(error)")
            }
        }
        thread.start()
        return (thread, outcome)
    }

    private func verify(_ log: ApplyLog, _ client: RedisClusterClient) throws {
        var wrong: [String] = []
        for k in 0..<log.keys {
            let s = try ApplyLog.read(client, key: "\(log.prefix)acct:\(k)")
            let e = log.expected(k)
            if s.version != e.version || s.value != e.value { wrong.append("\(k): \(s) != \(e)") }
        }
        XCTAssertEqual(wrong.prefix(5), [], "\(wrong.count) key(s) wrong")
    }

    func testLiveReshardDuringApplyLosesNothing() throws {
        let cluster = try liveCluster()
        let client = try client()
        let log = ApplyLog(prefix: "reshard:", keys: 4000, versions: 8)
        let from = try XCTUnwrap(client.masters.first)
        let to = try XCTUnwrap(client.masters.last)
        let stop = Flag()
        let (thread, outcome) = applyInBackground(log, seeds: cluster.seeds, batch: 400, until: stop)
        try waitUntil("2000 rows applied before the reshard", timeout: 120, interval: 0.005) {
            outcome.rows >= 2000 || outcome.done
        }
        let out = try cluster.cli(
            from.port,
            [
                "--cluster", "reshard", from.description, "--cluster-from", try cluster.nodeID(port: from.port),
                "--cluster-to", try cluster.nodeID(port: to.port), "--cluster-slots", "600",
                "--cluster-yes", "--cluster-pipeline", "20",
            ], timeout: 120)
        XCTAssertTrue(out.contains("Moving slot"), out)
        stop.set()
        try waitUntil("the apply thread ends once stopped", timeout: 120) { thread.isFinished }
        XCTAssertNil(outcome.error)
        XCTAssertGreaterThan(outcome.stats?.rerouted ?? 0, 0, "some rows must have met a migrating slot")
        let fresh = try self.client()
        XCTAssertEqual(
            fresh.slotMap.ranges(of: from).reduce(0) { $0 + $1.count } + 600,
            client.slotMap.ranges(of: from).reduce(0) { $0 + $1.count })
        try verify(log, fresh)
        print("reshard during apply: \(outcome.stats.map { "rerouted \($0.rerouted), retries \($0.retries)" } ?? "-")")
    }

    func testNodeRestartedMidBatchThenReplayConverges() throws {
        let cluster = try liveCluster()
        let client = try client()
        let log = ApplyLog(prefix: "restart:", keys: 3000, versions: 6)
        let victim = try XCTUnwrap(client.masters.first)
        let (thread, outcome) = applyInBackground(log, seeds: cluster.seeds, batch: 300)
        try waitUntil("3000 rows applied before the restart", timeout: 120, interval: 0.005) {
            outcome.rows >= 3000 || outcome.done
        }
        try cluster.sandbox.restartNode(victim.port)
        try waitUntil("the apply thread rides out the restart and ends", timeout: 180) { thread.isFinished }
        // The apply rode out the restart (reconnect, reload of the library the node lost).
        XCTAssertNil(outcome.error)
        XCTAssertGreaterThanOrEqual(
            outcome.stats?.libraryLoads ?? 0, 4, "the restarted node had to get the library again")
        // The restarted node kept no data (no persistence in the sandbox): replaying the log, as a
        // restart from the checkpoint would, converges to the full state.
        let a = VersionedApplier(client: try self.client(), tombstoneTTLSeconds: 3600)
        _ = try a.apply(log.writes)
        try verify(log, a.client)
    }
}

/// Progress and result of a background apply.
final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var rowCount = 0
    private var finished = false
    private var message: String?
    private var finalStats: ApplyStats?
    func progress(_ n: Int) {
        lock.lock()
        rowCount = n
        lock.unlock()
    }
    func finish(stats: ApplyStats?, error: String?) {
        lock.lock()
        finalStats = stats
        message = error
        finished = true
        lock.unlock()
    }
    var rows: Int {
        lock.lock()
        defer { lock.unlock() }
        return rowCount
    }
    var done: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }
    var error: String? {
        lock.lock()
        defer { lock.unlock() }
        return message
    }
    var stats: ApplyStats? {
        lock.lock()
        defer { lock.unlock() }
        return finalStats
    }
}
