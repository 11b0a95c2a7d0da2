import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The demo's pieces on real servers: the payments schema, the transfer workload (money
/// conserved while it runs), and the row-by-row consistency check that finds every difference.
final class PaymentsDemoTests: XCTestCase {
    func testWorkloadConservesMoneyAndTheCheckFindsEveryDifference() throws {
        let folder = try SandboxFolder(label: "payments-demo")
        defer { folder.close() }
        let ports = PortAllocator()
        let mariadb = try MariaDBServer(in: folder, ports: ports)
        let cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "primary", masters: 3)
        let workload = PaymentsWorkload(accounts: 20)
        let admin = try mariadb.connect()
        try workload.create(on: admin)

        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            if let connection = try? mariadb.connect() { workload.run(on: connection) }
            done.signal()
        }
        thread.start()
        Thread.sleep(forTimeInterval: 1.5)
        workload.stop()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        let progress = workload.progress
        XCTAssertNil(progress.error)
        XCTAssertGreaterThan(progress.committed, 10, "the workload ran")
        XCTAssertEqual(
            try admin.query("SELECT SUM(balance) AS t FROM payments.accounts").value("t"), workload.expectedTotal)
        XCTAssertEqual(
            try admin.query("SELECT COUNT(*) AS n FROM payments.transfers").value("n"), String(progress.committed))
        let versions = try admin.query("SELECT SUM(version) AS v FROM payments.accounts").value("v")
        XCTAssertEqual(versions, String(20 + 2 * progress.committed), "each transfer raised two versions by one")

        // Load Redis from the table as the daemon would, through the demo's mapping.
        guard
            case .success(let loaded) = SluiceConfig.parse(
                "[source]\nuser = \"u\"\nserver_id = 9\n[redis.primary]\nseeds = [\"\(cluster.addresses[0])\"]\n"
                    + PaymentsWorkload.accountsMapping, file: "demo.toml", directory: ".", environment: [:])
        else { return XCTFail("demo mapping does not load") }
        let mapping = TableMapping(config: loaded.config.mappings[0])
        let sink = try RedisSink.make(config: loaded.config, cluster: "primary")
        try sink.prepare()
        let rows = try admin.query("SELECT id, owner, balance, version FROM payments.accounts")
        let changes = rows.rows.indices.map { r in
            RowChange(
                database: "payments", table: "accounts", kind: .insert, columns: ["id", "owner", "balance", "version"],
                after: [
                    .int(Int64(rows.value("id", row: r) ?? "") ?? -1), .string(rows.value("owner", row: r) ?? ""),
                    .decimal(rows.value("balance", row: r) ?? ""),
                    .uint(UInt64(rows.value("version", row: r) ?? "") ?? 0),
                ],
                primaryKey: [0])
        }
        try sink.apply(changes, checkpoint: nil)
        let redis = sink.applier.client
        let clean = try ConsistencyCheck(mapping: mapping, mysql: admin, redis: redis)
        XCTAssertTrue(clean.consistent, clean.summary)
        XCTAssertEqual(clean.rowsChecked, 20)
        XCTAssertEqual(clean.summary, "consistent: 20 row(s) of MySQL equal their Redis keys and versions")

        // Break three things; the check names each.
        let balance3 = try XCTUnwrap(
            try admin.query("SELECT balance FROM payments.accounts WHERE id = 3").value("balance"))
        _ = try redis.send(RedisCommand("HSET", "account:3", "balance", "0.01"), key: "account:3")
        _ = try redis.send(RedisCommand("DEL", "account:5"), key: "account:5")
        _ = try redis.send(RedisCommand("HSET", "account:6", "sluice:v", "1"), key: "account:6")
        let version6 = try XCTUnwrap(
            try admin.query("SELECT version FROM payments.accounts WHERE id = 6").value("version"))
        let broken = try ConsistencyCheck(
            mapping: mapping, mysql: admin, redis: redis, deletedKeys: ["account:2", "account:99"])
        XCTAssertFalse(broken.consistent)
        XCTAssertEqual(
            Set(broken.differences),
            [
                "account:3: balance MySQL \(balance3), Redis 0.01", "account:5: missing in Redis",
                "account:6: version MySQL \(version6), Redis 1", "account:2: deleted in MySQL, present in Redis",
            ].filter { version6 != "1" || !$0.hasPrefix("account:6") }.reduce(into: Set<String>()) { $0.insert($1) })
    }
}
