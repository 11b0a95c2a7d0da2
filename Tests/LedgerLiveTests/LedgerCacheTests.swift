import Foundation
import MySQLSource
import Ops
import TestSupport
import Timekeeping
import XCTest

@testable import Ledger

/// The account read path (L1 in process, L2 the primary cluster, L3 the shard) against two real
/// MariaDB shards, a real Redis Cluster and, for changes made outside the ledger, the daemon.
/// One fixture and one service for the class; each test uses its own accounts.
final class LedgerCacheTests: XCTestCase {
    /// The services, the service over them, and the registry its metrics go to.
    struct Live {
        let fixture: LedgerFixture
        let service: LedgerService
        let registry: MetricsRegistry
    }
    nonisolated(unsafe) static var live: Result<Live, any Error>?
    static let ttl = 1.5

    override class func setUp() {
        super.setUp()
        live = Result { () throws -> Live in
            let fixture = try LedgerFixture(
                label: "ledger-cache", accounts: 20, balance: 100_000,
                ledgerExtra: "cache_ttl_ms = \(Int(ttl * 1000))\ncache_entries = 1000\ncache_hot_accounts = 0")
            let registry = MetricsRegistry()
            do {
                try registry.declare(SluiceMetrics.ledger)
                let service = try fixture.service(metrics: try LedgerMetrics(registry: registry))
                return Live(fixture: fixture, service: service, registry: registry)
            } catch {
                fixture.close()
                throw error
            }
        }
    }

    override class func tearDown() {
        if case .success(let running) = live { running.fixture.close() }
        live = nil
        super.tearDown()
    }

    func live() throws -> (LedgerFixture, LedgerService, AccountReads) {
        guard let live = Self.live else { throw XCTSkip("no services") }
        let running: Live
        do {
            running = try live.get()
        } catch {
            throw XCTSkip("services did not start: \(error)")
        }
        return (running.fixture, running.service, try XCTUnwrap(running.service.reads))
    }

    /// The cache counters (`sluice_ledger_cache_{lookups,hits}_total`) as /metrics shows them.
    private func counters() throws -> [String: Double] {
        let text = try XCTUnwrap(try Self.live?.get()).registry.render()
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("sluice_ledger_cache_") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { out[String(parts[0])] = value }
        }
        return out
    }

    private func mysqlRow(_ fixture: LedgerFixture, _ id: Int64) throws -> AccountState? {
        ShardBranch.accountStates(
            try fixture.query(
                shard: Int(id % 2),
                "SELECT id, owner, currency, balance, version, status FROM accounts WHERE id = \(id)")
        ).first
    }

    func testABalanceReadAfterATransferIsTheNewVersionFromL1() throws {
        let (fixture, service, reads) = try live()
        // Fill the cache with the accounts as they were.
        XCTAssertEqual(try reads.account(1)?.version, 1)
        XCTAssertEqual(try reads.account(2)?.version, 1)
        let answer = service.transfer(
            TransferRequest(
                idempotencyKey: "cache-1", from: 1, to: 2, amount: Amount(minorUnits: 500, scale: 2)))
        guard case .created(let result) = answer else { return XCTFail("\(answer)") }
        let before = try counters()
        let from = try XCTUnwrap(try reads.account(1))
        let to = try XCTUnwrap(try reads.account(2))
        let after = try counters()
        XCTAssertEqual(from, result.from)
        XCTAssertEqual(to, result.to)
        XCTAssertEqual(from.version, 2)
        XCTAssertEqual(from.balanceMinor, 99_500)
        XCTAssertEqual(try mysqlRow(fixture, 1), from)
        XCTAssertEqual(try mysqlRow(fixture, 2), to)
        let hits = #"sluice_ledger_cache_hits_total{kind="l1"}"#
        XCTAssertEqual((after[hits] ?? 0) - (before[hits] ?? 0), 2, "both reads answered by L1: \(after)")
        for level in ["l2", "l3"] {
            let lookups = #"sluice_ledger_cache_lookups_total{kind="\#(level)"}"#
            XCTAssertEqual(after[lookups], before[lookups], "\(level) was not asked")
        }
    }

    func testAChangeMadeDirectlyInMySQLShowsUpWithinTheTTL() throws {
        let (fixture, _, reads) = try live()
        let id: Int64 = 5
        let daemon = try fixture.startDaemon(shard: Int(id % 2))
        defer { fixture.sandbox.stop(daemon) }
        XCTAssertEqual(try reads.account(id)?.balanceMinor, 100_000)
        _ = try fixture.query(
            shard: Int(id % 2), "UPDATE accounts SET balance = balance + 777, version = version + 1 WHERE id = \(id)")
        let changed = try XCTUnwrap(try mysqlRow(fixture, id))
        XCTAssertEqual(changed.version, 2)
        // The daemon brings L2 to the new row; L1 lets its old entry go after the TTL. The
        // deadline is the TTL plus room for the daemon's start and lag on a loaded machine.
        let started = Date()
        var seen = try reads.account(id)
        try eventually(timeout: Self.ttl + 30, interval: 0.05) {
            seen = try reads.account(id)
            return seen == changed
        }
        XCTAssertEqual(
            seen, changed,
            "after \(Date().timeIntervalSince(started)) s; daemon log: "
                + LogFile.tail(fixture.sandbox.path + "/run-shard\(id % 2).log"))
        XCTAssertTrue(daemon.isRunning)
    }

    func testConsistentReadsAlwaysEqualMySQL() throws {
        let (fixture, service, reads) = try live()
        let server = try HTTPServer(
            options: HTTPServerOptions(listen: HostPort(host: "127.0.0.1", port: 0)),
            logger: Logger(level: .error, format: .text, sink: { _ in }), handler: LedgerAPI(service: service).handle)
        defer { server.stop() }
        let ids: [Int64] = [7, 8, 9]
        for id in ids { _ = try reads.account(id) }
        for round in 0..<4 {
            // Changes the cache hears of (a transfer) and changes it does not (direct SQL).
            if round % 2 == 0 {
                let answer = service.transfer(
                    TransferRequest(
                        idempotencyKey: "cache-c\(round)", from: 7, to: 8, amount: Amount(minorUnits: 100, scale: 2)))
                guard case .created = answer else { return XCTFail("\(answer)") }
            }
            _ = try fixture.query(
                shard: 1,
                "UPDATE accounts SET balance = balance + \(round + 1), version = version + 1, "
                    + "status = \(round == 2 ? "'frozen'" : "'active'") WHERE id = 9")
            for id in ids {
                let mysql = try mysqlRow(fixture, id)
                XCTAssertEqual(try reads.account(id, consistent: true), mysql, "round \(round), account \(id)")
                let answer = try HTTPClient.request(port: server.port, "GET", "/v1/accounts/\(id)?consistent=true")
                let body = HTTPClient.json(answer.body)
                XCTAssertEqual(answer.status, 200)
                XCTAssertEqual(body["version"] as? Int, mysql.map { Int($0.version) }, "round \(round), account \(id)")
                XCTAssertEqual(
                    body["balance"] as? String, mysql.map { Amount.text(minor: $0.balanceMinor, scale: 2) })
                XCTAssertEqual(body["status"] as? String, mysql?.status)
            }
        }
        let bad = try HTTPClient.request(port: server.port, "GET", "/v1/accounts/7?consistent=maybe")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(HTTPClient.json(bad.body)["detail"] as? String, "consistent must be true or false")
    }

    /// A hot account is refreshed from L2 before its entry expires: past the first TTL, L1 still
    /// answers what the warming pass read, not what L2 holds later.
    func testAHotAccountIsRefreshedFromL2BeforeItExpires() throws {
        let (_, service, _) = try live()
        let writeThrough = try XCTUnwrap(service.writeThrough)
        let clock = ManualClock(monotonicSeconds: 0)
        let reads = AccountReads(
            settings: .init(capacity: 10, ttl: 1, hotCount: 1), redis: writeThrough, metrics: nil, clock: clock
        ) { id throws(MySQLError) in try service.account(id) }
        let first = try XCTUnwrap(try reads.account(11))
        XCTAssertEqual(try writeThrough.read([11]), [first], "the shard's row filled L2")
        var changed = first
        changed.version += 1
        changed.balanceMinor += 1
        try writeThrough.apply([changed])
        clock.advance(by: 0.4)  // 0.4
        XCTAssertEqual(reads.warm(), [], "not due before half the TTL")
        _ = try reads.account(11)
        clock.advance(by: 0.2)  // 0.6
        XCTAssertEqual(reads.warm(), [11])
        var later = changed
        later.version += 1
        try writeThrough.apply([later])
        clock.advance(by: 0.7)  // 1.3
        XCTAssertEqual(try reads.account(11), changed, "L1 kept warm: served past the first TTL, from the refresh")
        clock.advance(by: 0.4)  // 1.7
        XCTAssertEqual(try reads.account(11), later, "expired: L2 answers")
    }

    func testTheConsistentFlagOfATarget() {
        XCTAssertEqual(LedgerAPI.consistentFlag("/v1/accounts/1"), false)
        XCTAssertEqual(LedgerAPI.consistentFlag("/v1/accounts/1?consistent=true"), true)
        XCTAssertEqual(LedgerAPI.consistentFlag("/v1/accounts/1?x=2&consistent=1"), true)
        XCTAssertEqual(LedgerAPI.consistentFlag("/v1/accounts/1?consistent=false"), false)
        XCTAssertNil(LedgerAPI.consistentFlag("/v1/accounts/1?consistent"))
        XCTAssertNil(LedgerAPI.consistentFlag("/v1/accounts/1?consistent=yes"))
    }
}
