import Foundation
import MySQLSource
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The demo workload's samples (versions read inside each transfer) and the watcher that reads
/// them back from a real Redis Cluster: every sample is seen once its keys hold its versions, a
/// version Redis never gets stays unseen.
final class VisibilityWatcherTests: XCTestCase {
    func testSampledVersionsAreTheTransfersOwnAndTheWatcherSeesThemInRedis() throws {
        let folder = try SandboxFolder(label: "visibility-watcher")
        defer { folder.close() }
        let ports = PortAllocator()
        let mariadb = try MariaDBServer(in: folder, ports: ports)
        let cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "primary", masters: 3)
        let workload = PaymentsWorkload(accounts: 10)
        let admin = try mariadb.connect()
        try workload.create(on: admin)

        let samples = SampleList()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            if let connection = try? mariadb.connect() {
                workload.run(on: connection, sampleEvery: 3, sample: samples.append)
            }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 1)
        workload.stop()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertNil(workload.progress.error)
        let taken = samples.all
        let committed = workload.progress.committed
        XCTAssertGreaterThan(taken.count, 3)
        XCTAssertEqual(taken.count, (committed + 2) / 3, "every 3rd committed transfer")

        // The only writer: each account's sampled versions rise, and the last is at most MySQL's.
        var last: [String: UInt64] = [:]
        for s in taken {
            XCTAssertEqual(s.keys.count, 2)
            for k in s.keys {
                XCTAssertGreaterThan(k.version, last[k.key] ?? 1, "\(k.key) in \(s)")
                last[k.key] = k.version
            }
        }
        let rows = try admin.query("SELECT id, version FROM payments.accounts")
        for r in rows.rows.indices {
            let key = "account:\(rows.value("id", row: r) ?? "")"
            let final = UInt64(rows.value("version", row: r) ?? "") ?? 0
            XCTAssertLessThanOrEqual(last[key] ?? 0, final, key)
        }

        // Redis holds MySQL's final versions (as the daemon would leave them): all samples visible.
        let client = try RedisClusterClient(
            topology: .cluster(seeds: cluster.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        for r in rows.rows.indices {
            // A hash row's version lives in its `sluice:v` field.
            let key = "account:\(rows.value("id", row: r) ?? "")"
            let set = RedisCommand("HSET", key, VersionKey.hashFieldName, rows.value("version", row: r) ?? "")
            XCTAssertEqual(try client.send(set, key: key), .integer(1))
        }
        let watcher = VisibilityWatcher(client: client, pollInterval: 0.001, timeoutSeconds: 1)
        defer { watcher.stop() }
        let before = VisibilityWatcher.now()
        for s in taken { watcher.watch(.init(keys: s.keys, committedAt: before)) }
        XCTAssertTrue(watcher.settle(timeoutSeconds: 10))
        let lags = watcher.lags(reset: true)
        XCTAssertEqual(lags.count, taken.count)
        XCTAssertEqual(watcher.counts.unseen, 0)
        XCTAssertTrue(lags.allSatisfy { $0 >= 0 && $0 < 10_000 }, "\(lags)")

        // A version one past MySQL's never shows up: unseen after the watcher's timeout.
        let key = try XCTUnwrap(last.keys.sorted().first)
        watcher.watch(.init(keys: [.init(key, (last[key] ?? 0) + 1_000)], committedAt: VisibilityWatcher.now()))
        XCTAssertTrue(watcher.settle(timeoutSeconds: 10))
        XCTAssertEqual(watcher.counts.unseen, 1)
        XCTAssertEqual(watcher.lags(), [])
    }
}

private final class SampleList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [VisibilityTracker.Sample] = []
    func append(_ s: VisibilityTracker.Sample) {
        lock.lock()
        list.append(s)
        lock.unlock()
    }
    var all: [VisibilityTracker.Sample] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
