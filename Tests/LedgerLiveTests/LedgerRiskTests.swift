import Foundation
import MySQLSource
import Ops
import RedisCluster
import XCTest

@testable import Ledger

/// The risk step inside real transfers (two MariaDB shards, a Redis Cluster, `[ledger.risk]` in
/// the configuration file): concurrent transfers against a daily limit, a refusal answered 422
/// with its rule before any shard is touched, reservations released on abort, every decision in
/// the journal. One fixture for the class; each test uses its own accounts.
final class LedgerRiskTests: XCTestCase {
    /// The fixture and a service with metrics over its journal, or why they did not start.
    nonisolated(unsafe) static var started: Result<(LedgerFixture, LedgerService), Error>?
    static let registry = MetricsRegistry()

    override class func setUp() {
        super.setUp()
        started = Result {
            let fixture = try LedgerFixture(
                label: "ledger-risk", accounts: 20, balance: 100_000,
                ledgerExtra: """
                    [ledger.risk]
                    reservation_ttl_ms = 30000
                    default_class = "standard"
                    [[ledger.risk.class]]
                    name = "standard"
                    daily_limit = "50.00"
                    per_minute = 1000
                    """)
            let seeds = fixture.redisSeeds
            do {
                let service = try LedgerRuntime.service(
                    config: fixture.config,
                    redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
                    metrics: try LedgerMetrics(registry: registry),
                    logger: Logger(level: .warning, format: .text, sink: { _ in }))
                return (fixture, service)
            } catch {
                fixture.close()
                throw error
            }
        }
    }

    override class func tearDown() {
        if case .success(let (fixture, _)) = started { fixture.close() }
        started = nil
        super.tearDown()
    }

    private func live() throws -> (LedgerFixture, LedgerService, RiskRules) {
        let (fixture, service): (LedgerFixture, LedgerService)
        do {
            guard let started = Self.started else { throw XCTSkip("no fixture") }
            (fixture, service) = try started.get()
        } catch {
            XCTFail("the fixture did not start: \(error)")
            throw XCTSkip("no fixture")
        }
        guard let rules = service.risk as? RiskRules else {
            XCTFail("[ledger.risk] did not make risk rules")
            throw XCTSkip("no rules")
        }
        RiskRulesTests.awayFromMidnight()
        return (fixture, service, rules)
    }

    private static func request(_ key: String, _ from: Int64, _ to: Int64, _ minor: Int64) -> TransferRequest {
        TransferRequest(idempotencyKey: key, from: from, to: to, amount: Amount(minorUnits: minor, scale: 2))
    }

    private func riskRecords(from account: Int64) throws -> [JournalRiskCheck] {
        let (fixture, _, _) = try live()
        return try Journal.read(directory: fixture.config.journalDirectory).records.compactMap {
            if case .risk(let r) = $0.body, r.from == account { return r }
            return nil
        }
    }

    /// The value of the exported sample `name{labels}`, 0 when absent.
    private func sample(_ series: String) -> Double {
        for line in Self.registry.render().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? -1
        }
        return 0
    }

    func testConcurrentTransfersTogetherCannotExceedTheDailyLimit() throws {
        let (fixture, service, rules) = try live()
        let decisions = #"sluice_ledger_risk_decisions_total{kind="daily_limit"}"#
        let confirmed = #"sluice_ledger_risk_reservations_total{kind="confirmed"}"#
        let (refusedBefore, confirmedBefore) = (sample(decisions), sample(confirmed))
        let answers = Answers()
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            answers.add(service.transfer(Self.request("daily-\(i)", 3, 4 + Int64(i % 2) * 2, 1_000)))
        }
        XCTAssertEqual(answers.created, 5, answers.other.joined(separator: "; "))
        XCTAssertEqual(answers.refusedBy, Array(repeating: "daily_limit", count: 7))
        XCTAssertEqual(try fixture.balances()[3]?.balance, 100_000 - 5_000)
        XCTAssertEqual(try rules.state(of: 3), RiskState(usedToday: 5_000, lastMinute: 5, pending: 0, window: 5))
        let records = try riskRecords(from: 3)
        XCTAssertEqual(records.count, 12)
        XCTAssertEqual(records.filter(\.accepted).count, 5)
        XCTAssertEqual(Set(records.filter { !$0.accepted }.map(\.detail)), ["used 5000 of 5000 today"])
        // The journal with risk records still reads, replays and verifies.
        XCTAssertNil(try JournalVerify.verify(directories: [fixture.config.journalDirectory], publicKeys: []).problem)
        XCTAssertEqual(try fixture.inDoubt(), [])
        XCTAssertEqual(sample(decisions) - refusedBefore, 7)
        XCTAssertEqual(sample(confirmed) - confirmedBefore, 5)
        XCTAssertGreaterThan(sample("sluice_ledger_risk_seconds_count"), 0)
    }

    func testARefusalAnswers422WithItsRuleAndTouchesNoShard() throws {
        let (fixture, service, _) = try live()
        let client = try fixture.redisClient()
        let key = RiskLibrary.key(of: 8)
        XCTAssertNil(
            try client.send(RedisCommand("HSET", key, "merchant", "Shop", "merchant_blocked", "fraud"), key: key)
                .errorMessage)
        let server = try HTTPServer(
            options: HTTPServerOptions(
                listen: HostPort(host: "127.0.0.1", port: 0), limits: HTTPParseLimits(maxBodyBytes: 4096)),
            logger: Logger(level: .error, format: .text, sink: { _ in }), handler: LedgerAPI(service: service).handle)
        defer { server.stop() }
        let before = try fixture.balances()
        var answer = try HTTPClient.request(
            port: server.port, "POST", "/v1/transfers", body: #"{"idempotency_key":"m-1","from":7,"to":8,"amount":"1"}"#
        )
        XCTAssertEqual(answer.status, 422, answer.body)
        var json = HTTPClient.json(answer.body)
        XCTAssertEqual(json["error"] as? String, "risk_refused")
        XCTAssertEqual(json["rule"] as? String, "blacklisted_merchant")
        XCTAssertEqual(json["account"] as? Int, 8)
        answer = try HTTPClient.request(
            port: server.port, "POST", "/v1/transfers",
            body: #"{"idempotency_key":"d-1","from":7,"to":9,"amount":"50.01"}"#)
        XCTAssertEqual(answer.status, 422, answer.body)
        json = HTTPClient.json(answer.body)
        XCTAssertEqual(json["rule"] as? String, "daily_limit")
        XCTAssertEqual(json["detail"] as? String, "used 0 of 5000 today")
        let after = try fixture.balances()
        XCTAssertEqual(after[7]?.version, before[7]?.version)
        XCTAssertEqual(after[8]?.version, before[8]?.version)
        XCTAssertEqual(try riskRecords(from: 7).map(\.rule), ["blacklisted_merchant", "daily_limit"])
        answer = try HTTPClient.request(
            port: server.port, "POST", "/v1/transfers",
            body: #"{"idempotency_key":"d-2","from":7,"to":9,"amount":"50"}"#)
        XCTAssertEqual(answer.status, 201, answer.body)
    }

    func testAnAbortedOrReplayedTransferGivesItsReservationBack() throws {
        let (fixture, service, rules) = try live()
        _ = try fixture.shards[0].connect(database: "ledger").execute(
            "UPDATE accounts SET status = 'frozen' WHERE id = 12")
        XCTAssertEqual(service.transfer(Self.request("frozen-1", 11, 12, 3_000)), .refused(.frozenAccount))
        XCTAssertEqual(try rules.state(of: 11), RiskState(usedToday: 0, lastMinute: 0, pending: 0, window: 0))
        guard case .created = service.transfer(Self.request("once", 11, 13, 2_000)) else {
            return XCTFail("not created")
        }
        guard case .replayed = service.transfer(Self.request("once", 11, 13, 2_000)) else {
            return XCTFail("not replayed")
        }
        // The replay's reservation (within the limit) was released when its key was found taken.
        XCTAssertEqual(try rules.state(of: 11), RiskState(usedToday: 2_000, lastMinute: 1, pending: 0, window: 1))
        // A replay answers its first answer even when the rules would refuse it now.
        guard case .created = service.transfer(Self.request("twice", 11, 13, 3_000)) else {
            return XCTFail("not created")
        }
        guard case .replayed = service.transfer(Self.request("twice", 11, 13, 3_000)) else {
            return XCTFail("a replay over the limit was not answered from its first answer")
        }
        XCTAssertEqual(
            try riskRecords(from: 11).map { $0.accepted ? "accepted" : $0.rule },
            ["accepted", "accepted", "accepted", "accepted", "daily_limit"])
        // `sluice journal show` lists the risk records; `journal verify` finds the journal intact.
        let shown = try fixture.sandbox.run(
            service: "journal-show", executable: fixture.binary,
            arguments: ["journal", "show", fixture.config.journalDirectory, "--json"],
            workingDirectory: fixture.sandbox.path, logPath: fixture.sandbox.path + "/show.log", timeout: 30)
        XCTAssertEqual(shown.status, 0, shown.output)
        let refusal = shown.output.split(separator: "\n").map { HTTPClient.json(String($0)) }.last {
            $0["kind"] as? String == "risk" && $0["from"] as? Int == 11
        }
        XCTAssertEqual(refusal?["outcome"] as? String, "refused")
        XCTAssertEqual(refusal?["rule"] as? String, "daily_limit")
        XCTAssertEqual(refusal?["idempotency_key"] as? String, "twice")
        XCTAssertEqual(refusal?["amount_minor"] as? Int, 3_000)
        let verified = try fixture.sandbox.run(
            service: "journal-verify", executable: fixture.binary,
            arguments: ["journal", "verify", fixture.config.journalDirectory],
            workingDirectory: fixture.sandbox.path, logPath: fixture.sandbox.path + "/verify.log", timeout: 30)
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.output.contains("intact: "), verified.output)
    }
}

/// Outcomes of concurrent transfers, by kind.
private final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var created = 0
    private(set) var refusedBy: [String] = []
    private(set) var other: [String] = []

    func add(_ answer: TransferAnswer) {
        lock.withLock {
            switch answer {
            case .created: created += 1
            case .riskRefused(let refusal): refusedBy.append(refusal.rule.rawValue)
            default: other.append("\(answer)")
            }
        }
    }
}
