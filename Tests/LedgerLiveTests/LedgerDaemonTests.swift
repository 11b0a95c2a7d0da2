import Foundation
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Ledger

/// One `sluice run` per shard (its own `[source]`, `server_id` and `checkpoint_prefix`) replicating
/// `ledger.accounts` into the cluster the ledger writes through to: the daemons alone bring Redis
/// to MySQL (the safety net), and with the write-through on as well, the two writers converge.
final class LedgerDaemonTests: XCTestCase {
    func testOneDaemonPerShardConvergesWithTheWriteThrough() throws {
        let fixture = try LedgerFixture(label: "ledger-daemons", accounts: 20, balance: 100_000)
        defer { fixture.close() }
        let quiet = Logger(level: .error, format: .text, sink: { _ in })
        // Transfers with no write-through: only the daemons can fill Redis.
        do {
            let service = try LedgerRuntime.service(config: fixture.config, redis: nil, logger: quiet)
            try Self.transfers(service, prefix: "a", count: 60)
        }
        let daemons = try fixture.shards.indices.map { try fixture.startDaemon(shard: $0) }
        defer { for child in daemons { fixture.sandbox.stop(child) } }
        try waitForEquality(fixture, "the daemons alone")

        // Now both writers: the ledger writes through while the daemons replicate the same rows.
        let service = try fixture.service(logger: quiet)
        try Self.transfers(service, prefix: "b", count: 60)
        try waitForEquality(fixture, "daemons and write-through")
        for (shard, child) in daemons.enumerated() {
            XCTAssertTrue(child.isRunning, LogFile.tail(fixture.sandbox.path + "/run-shard\(shard).log"))
        }
    }

    private static func transfers(_ service: LedgerService, prefix: String, count: Int) throws {
        let failures = Counts()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<(count / 4) {
                let from = Int64(2 * ((thread + i) % 10) + 1)
                let to = Int64(2 * ((thread * 3 + i) % 10) + 2)
                let request = TransferRequest(
                    idempotencyKey: "\(prefix)-\(thread)-\(i)", from: from, to: to,
                    amount: Amount(minorUnits: Int64(100 + i), scale: 2))
                failures.record(service.transfer(request), from: from, to: to)
            }
        }
        XCTAssertEqual(failures.unavailable, [])
        XCTAssertEqual(failures.created, count)
    }

    /// Every account in Redis exactly as in MySQL (balance, version), within a deadline.
    private func waitForEquality(_ fixture: LedgerFixture, _ label: String) throws {
        let client = try fixture.redisClient()
        var differ: [String] = []
        let equal = try eventually(timeout: 60, interval: 0.1) {
            differ = []
            for (id, row) in try fixture.balances() {
                let fields = try client.send(
                    RedisCommand("HMGET", "account:\(id)", "balance", "version"), key: "account:\(id)"
                ).arrayStrings
                if fields != [String(row.balance), String(row.version)] { differ.append("account \(id): \(fields)") }
            }
            return differ.isEmpty
        }
        if equal { return }
        XCTFail(
            "\(label): Redis differs from MySQL: \(differ.prefix(5)); daemon logs: "
                + LogFile.tail(fixture.sandbox.path + "/run-shard0.log")
                + LogFile.tail(fixture.sandbox.path + "/run-shard1.log"))
    }
}
