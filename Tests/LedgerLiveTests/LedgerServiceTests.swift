import Foundation
import MySQLSource
import Ops
import RedisCluster
import XCTest

@testable import Ledger

/// The coordinator in process against two real MariaDB shards and a real Redis Cluster, and its
/// HTTP API on the project's HTTP server. One fixture for the class; each test uses its own
/// accounts so they don't depend on each other's order.
final class LedgerServiceTests: XCTestCase {
    nonisolated(unsafe) static var fixture: LedgerFixture?
    nonisolated(unsafe) static var shared: LedgerService?
    nonisolated(unsafe) static var failure: String?

    override class func setUp() {
        super.setUp()
        do {
            let fixture = try LedgerFixture(label: "ledger-service", accounts: 40, balance: 10_000)
            self.fixture = fixture
            shared = try fixture.service()
        } catch {
            failure = "\(error)"
        }
    }

    override class func tearDown() {
        shared = nil
        fixture?.close()
        fixture = nil
        super.tearDown()
    }

    private func live() throws -> (LedgerFixture, LedgerService) {
        guard let fixture = Self.fixture, let service = Self.shared else {
            XCTFail("the fixture did not start: \(Self.failure ?? "?")")
            throw XCTSkip("no fixture")
        }
        return (fixture, service)
    }

    private static func request(_ key: String, _ from: Int64, _ to: Int64, _ minor: Int64) -> TransferRequest {
        TransferRequest(idempotencyKey: key, from: from, to: to, amount: Amount(minorUnits: minor, scale: 2))
    }

    func testInitMadeTheSchemaOnBothShardsAndSeededEachAccountOnItsShard() throws {
        let (fixture, _) = try live()
        let odd = try fixture.query(shard: 1, "SELECT COUNT(*) AS n, MIN(id % 2) AS r FROM accounts")
        let even = try fixture.query(shard: 0, "SELECT COUNT(*) AS n, MAX(id % 2) AS r FROM accounts")
        XCTAssertEqual(odd.value("n"), "20")
        XCTAssertEqual(odd.value("r"), "1")
        XCTAssertEqual(even.value("n"), "20")
        XCTAssertEqual(even.value("r"), "0")
        XCTAssertEqual(
            try fixture.query(shard: 1, "SHOW TABLES").rows.compactMap { $0[0] }.sorted(), ["accounts", "entries"])
    }

    func testACrossShardTransferCommitsOnBothShardsAndWritesThrough() throws {
        let (fixture, service) = try live()
        guard case .created(let result) = service.transfer(Self.request("cross-1", 1, 2, 2_550)) else {
            return XCTFail("not created")
        }
        XCTAssertEqual(result.from.balanceMinor, 7_450)
        XCTAssertEqual(result.to.balanceMinor, 12_550)
        XCTAssertEqual(result.from.version, 2)
        XCTAssertTrue(result.wroteThrough)
        XCTAssertGreaterThan(result.journalSequence, 0)
        let balances = try fixture.balances()
        XCTAssertEqual(balances[1]?.balance, 7_450)
        XCTAssertEqual(balances[2]?.balance, 12_550)
        XCTAssertEqual(try fixture.inDoubt(), [])
        XCTAssertTrue(try fixture.journalDecisions().contains(result.transferID))
        let client = try fixture.redisClient()
        let fields = try client.send(
            RedisCommand("HMGET", "account:1", "balance", "version", "currency", "status", "owner", "id"),
            key: "account:1")
        XCTAssertEqual(fields.arrayStrings, ["7450", "2", "EUR", "active", "owner-1", "1"])
    }

    func testRefusalsChangeNothing() throws {
        let (fixture, service) = try live()
        let before = try fixture.balances()
        XCTAssertEqual(service.transfer(Self.request("r-1", 3, 4, 10_001)), .refused(.insufficientFunds))
        XCTAssertEqual(service.transfer(Self.request("r-2", 3, 999, 1)), .refused(.unknownAccount))
        XCTAssertEqual(service.transfer(Self.request("r-3", 998, 3, 1)), .refused(.unknownAccount))
        XCTAssertEqual(service.transfer(Self.request("r-4", 3, 3, 1)), .refused(.sameAccount))
        _ = try fixture.query(shard: 0, "UPDATE accounts SET status = 'frozen' WHERE id = 6")
        XCTAssertEqual(service.transfer(Self.request("r-5", 3, 6, 1)), .refused(.frozenAccount))
        XCTAssertEqual(service.transfer(Self.request("r-6", 6, 3, 1)), .refused(.frozenAccount))
        var after = try fixture.balances()
        XCTAssertEqual(after[3]?.balance, before[3]?.balance)
        XCTAssertEqual(after[3]?.version, before[3]?.version)
        XCTAssertEqual(after[6]?.version, before[6]?.version)
        after.removeAll()
        XCTAssertEqual(try fixture.inDoubt(), [])
        XCTAssertEqual(
            try fixture.entryIDs().filter { id in ["r-1", "r-2", "r-5"].contains(id) }, [])
    }

    func testAnIdempotencyKeyAnswersTheSameAndRefusesAnotherRequest() throws {
        let (_, service) = try live()
        guard case .created(let first) = service.transfer(Self.request("idem-1", 7, 8, 100)) else {
            return XCTFail("not created")
        }
        guard case .replayed(let again) = service.transfer(Self.request("idem-1", 7, 8, 100)) else {
            return XCTFail("not replayed")
        }
        XCTAssertEqual(again.transferID, first.transferID)
        XCTAssertEqual(again.from.balanceMinor, first.from.balanceMinor)
        XCTAssertEqual(again.to.version, first.to.version)
        XCTAssertEqual(again.journalSequence, first.journalSequence)
        guard case .created = service.transfer(Self.request("idem-drain", 7, 8, first.from.balanceMinor)) else {
            return XCTFail("draining account 7 failed")
        }
        guard case .replayed(let later) = service.transfer(Self.request("idem-1", 7, 8, 100)) else {
            return XCTFail("a replay after the account emptied was not answered with the first transfer")
        }
        XCTAssertEqual(later.transferID, first.transferID)
        XCTAssertEqual(service.transfer(Self.request("idem-1", 7, 8, 101)), .conflict(transferID: first.transferID))
        XCTAssertEqual(service.transfer(Self.request("idem-1", 8, 7, 100)), .conflict(transferID: first.transferID))
    }

    /// Eight threads moving money both ways among four accounts (two per shard): deadlocks are
    /// retried, no update is lost (each account's version grew by exactly its transfers), no
    /// balance goes negative, the total is unchanged, Redis ends equal to MySQL.
    func testConcurrentTransfersOnHotAccountsLoseNothing() throws {
        let (fixture, service) = try live()
        let hot: [Int64] = [11, 12, 13, 14]
        let before = try fixture.balances()
        let counts = Counts()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<25 {
                let from = hot[(thread + i) % 4]
                let to = hot[(thread + i * 3 + 1) % 4]
                guard from != to else { continue }
                let answer = service.transfer(Self.request("hot-\(thread)-\(i)", from, to, Int64(1 + (i * 37) % 900)))
                counts.record(answer, from: from, to: to)
            }
        }
        let after = try fixture.balances()
        XCTAssertEqual(counts.unavailable, [], "every transfer was decided")
        XCTAssertGreaterThan(counts.created, 100)
        XCTAssertEqual(
            hot.map { after[$0]?.balance ?? 0 }.reduce(0, +), hot.map { before[$0]?.balance ?? 0 }.reduce(0, +))
        for id in hot {
            XCTAssertGreaterThanOrEqual(after[id]?.balance ?? -1, 0)
            XCTAssertEqual(after[id]?.version, (before[id]?.version ?? 0) + counts.touches(id), "account \(id)")
        }
        XCTAssertEqual(try fixture.inDoubt(), [])
        try fixture.assertRedisEqualsMySQL("hot accounts")
    }

    func testTheHTTPAPI() throws {
        let (_, service) = try live()
        let server = try HTTPServer(
            options: HTTPServerOptions(
                listen: HostPort(host: "127.0.0.1", port: 0), limits: HTTPParseLimits(maxBodyBytes: 4096)),
            logger: Logger(level: .error, format: .text, sink: { _ in }), handler: LedgerAPI(service: service).handle)
        defer { server.stop() }
        let port = server.port
        let body = #"{"idempotency_key":"http-1","from":21,"to":22,"amount":"12.34"}"#
        var answer = try HTTPClient.request(port: port, "POST", "/v1/transfers", body: body)
        XCTAssertEqual(answer.status, 201, answer.body)
        let created = HTTPClient.json(answer.body)
        XCTAssertEqual((created["from"] as? [String: Any])?["balance"] as? String, "87.66")
        XCTAssertEqual((created["to"] as? [String: Any])?["balance"] as? String, "112.34")
        XCTAssertEqual(created["state"] as? String, "committed")
        XCTAssertNil(created["receipt"], "no receipt without a journal signing key")
        let id = try XCTUnwrap(created["transfer_id"] as? String)

        answer = try HTTPClient.request(port: port, "POST", "/v1/transfers", body: body)
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(HTTPClient.json(answer.body)["transfer_id"] as? String, id)
        XCTAssertEqual(HTTPClient.json(answer.body)["journal_sequence"] as? Int, created["journal_sequence"] as? Int)

        answer = try HTTPClient.request(
            port: port, "POST", "/v1/transfers", body: #"{"idempotency_key":"http-1","from":21,"to":22,"amount":"1"}"#)
        XCTAssertEqual(answer.status, 409)
        answer = try HTTPClient.request(
            port: port, "POST", "/v1/transfers",
            body: #"{"idempotency_key":"http-2","from":21,"to":22,"amount":"5000"}"#)
        XCTAssertEqual(answer.status, 422)
        XCTAssertEqual(HTTPClient.json(answer.body)["error"] as? String, "insufficient_funds")
        answer = try HTTPClient.request(
            port: port, "POST", "/v1/transfers",
            body: #"{"idempotency_key":"http-3","from":21,"to":22,"amount":"1.234"}"#)
        XCTAssertEqual(answer.status, 400)
        XCTAssertEqual(
            HTTPClient.json(answer.body)["detail"] as? String, #"field amount: "1.234" has more than 2 decimal places"#)
        answer = try HTTPClient.request(port: port, "POST", "/v1/transfers", body: "{not json")
        XCTAssertEqual(answer.status, 400)
        answer = try HTTPClient.request(port: port, "POST", "/v1/transfers", body: String(repeating: " ", count: 5000))
        XCTAssertEqual(answer.status, 413)

        answer = try HTTPClient.request(port: port, "GET", "/v1/accounts/21")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(HTTPClient.json(answer.body)["balance"] as? String, "87.66")
        XCTAssertEqual(HTTPClient.json(answer.body)["version"] as? Int, 2)
        XCTAssertEqual(try HTTPClient.request(port: port, "GET", "/v1/accounts/9999").status, 404)
        answer = try HTTPClient.request(port: port, "GET", "/v1/transfers/\(id)")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(HTTPClient.json(answer.body)["idempotency_key"] as? String, "http-1")
        XCTAssertEqual(try HTTPClient.request(port: port, "GET", "/health").status, 200)
        XCTAssertEqual(try HTTPClient.request(port: port, "DELETE", "/v1/transfers").status, 405)
    }
}

/// Outcomes of concurrent transfers.
final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var touched: [Int64: UInt64] = [:]
    private(set) var created = 0
    private(set) var unavailable: [String] = []

    func record(_ answer: TransferAnswer, from: Int64, to: Int64) {
        lock.withLock {
            switch answer {
            case .created:
                created += 1
                touched[from, default: 0] += 1
                touched[to, default: 0] += 1
            case .refused: break
            default: unavailable.append("\(answer)")
            }
        }
    }

    func touches(_ id: Int64) -> UInt64 { lock.withLock { touched[id] ?? 0 } }
}
