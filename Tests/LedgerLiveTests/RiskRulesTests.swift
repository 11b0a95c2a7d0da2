import Foundation
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Ledger

/// The `sluice_risk` library against a real Redis Cluster (three masters): every rule accepting
/// at its boundary and refusing just past it, reservations released, confirmed and expired. One
/// cluster for the class; each test uses its own accounts.
final class RiskRulesTests: XCTestCase {
    nonisolated(unsafe) static var sandbox: SandboxFolder?
    nonisolated(unsafe) static var redis: RedisClusterSandbox?
    nonisolated(unsafe) static var failure: String?

    override class func setUp() {
        super.setUp()
        do {
            let folder = try SandboxFolder(label: "risk-rules")
            sandbox = folder
            redis = try RedisClusterSandbox(in: folder, ports: PortAllocator(), name: "risk", masters: 3)
        } catch {
            failure = "\(error)"
        }
    }

    override class func tearDown() {
        redis = nil
        sandbox?.close()
        sandbox = nil
        super.tearDown()
    }

    static let standard = LedgerRiskConfig.AccountClass(
        name: "standard", dailyLimitMinor: 10_000, perMinute: 0, anomalyFactor: 0)

    private func rules(
        _ classes: [LedgerRiskConfig.AccountClass] = [standard], ttl: Int = 30_000, window: Int = 20, samples: Int = 5
    ) throws -> RiskRules {
        guard let redis = Self.redis else {
            XCTFail("the cluster did not start: \(Self.failure ?? "?")")
            throw XCTSkip("no cluster")
        }
        let seeds = redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }
        return RiskRules(
            config: LedgerRiskConfig(
                reservationTTLMS: ttl, anomalyWindow: window, anomalyMinSamples: samples,
                defaultClass: classes[0].name, classes: classes),
            makeClient: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) })
    }

    /// Sets risk flags of `account` (what an operator does with HSET).
    private func flag(_ account: Int64, _ field: String, _ value: String) throws {
        guard let redis = Self.redis else { throw XCTSkip("no cluster") }
        let client = try RedisClusterClient(
            topology: .cluster(seeds: redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let key = RiskLibrary.key(of: account)
        let reply = try client.send(RedisCommand("HSET", key, field, value), key: key)
        XCTAssertNil(reply.errorMessage)
    }

    private var serial = 0
    private func reserve(_ rules: RiskRules, _ from: Int64, _ to: Int64, _ minor: Int64) -> RiskDecision {
        serial += 1
        return rules.reserve(
            TransferRequest(
                idempotencyKey: "k\(serial)", from: from, to: to, amount: Amount(minorUnits: minor, scale: 2)),
            reservationID: "\(name)-\(serial)")
    }

    private func accepted(
        _ decision: RiskDecision, file: StaticString = #filePath, line: UInt = #line
    ) throws -> RiskReservation {
        guard case .accepted(let reservation) = decision else {
            XCTFail("expected accepted, got \(decision)", file: file, line: line)
            throw XCTSkip("refused")
        }
        return reservation
    }

    private func refusedRule(_ decision: RiskDecision) -> RiskRule? {
        if case .refused(let refusal) = decision { return refusal.rule }
        return nil
    }

    /// The day rule counts per UTC day of the node's clock: keep a test away from midnight.
    static func awayFromMidnight() {
        eventually(timeout: 20, interval: 0.5) { Int(Date().timeIntervalSince1970) % 86_400 <= 86_400 - 10 }
    }

    func testTheDailyLimitAcceptsUpToItAndRefusesOneMinorUnitMore() throws {
        let rules = try rules()
        Self.awayFromMidnight()
        let first = try accepted(reserve(rules, 101, 102, 6_000))
        XCTAssertEqual(first.accountClass, "standard")
        let second = try accepted(reserve(rules, 101, 102, 4_000))
        XCTAssertEqual(try rules.state(of: 101).usedToday, 10_000)
        guard case .refused(let refusal) = reserve(rules, 101, 102, 1) else { return XCTFail("not refused") }
        XCTAssertEqual(refusal.rule, .dailyLimit)
        XCTAssertEqual(refusal.detail, "used 10000 of 10000 today")
        try rules.confirm(first)
        try rules.release(second)
        XCTAssertEqual(try rules.state(of: 101).usedToday, 6_000)
        _ = try accepted(reserve(rules, 101, 102, 4_000))
        XCTAssertEqual(refusedRule(reserve(rules, 101, 102, 1)), .dailyLimit)
    }

    func testThePerMinuteCountAcceptsTheNthAndRefusesTheNext() throws {
        let rules = try rules([.init(name: "standard", dailyLimitMinor: nil, perMinute: 3, anomalyFactor: 0)])
        let one = try accepted(reserve(rules, 111, 112, 100))
        _ = try accepted(reserve(rules, 111, 113, 100))
        _ = try accepted(reserve(rules, 111, 114, 100))
        guard case .refused(let refusal) = reserve(rules, 111, 112, 100) else { return XCTFail("not refused") }
        XCTAssertEqual(refusal.rule, .rateLimit)
        XCTAssertEqual(refusal.detail, "3 transfer(s) in the last 60 s, at most 3")
        // Another account has its own count; an aborted transfer gives its place back.
        _ = try accepted(reserve(rules, 115, 112, 100))
        try rules.release(one)
        _ = try accepted(reserve(rules, 111, 112, 100))
        XCTAssertEqual(try rules.state(of: 111).lastMinute, 3)
    }

    func testBlacklistedAccountsAndMerchantsAreRefusedOnTheirSide() throws {
        let rules = try rules()
        try flag(121, "blocked", "fraud case 7")
        guard case .refused(let debtor) = reserve(rules, 121, 122, 100) else { return XCTFail("debtor not refused") }
        XCTAssertEqual(debtor.rule, .blacklistedAccount)
        XCTAssertEqual(debtor.account, 121)
        XCTAssertEqual(debtor.detail, "fraud case 7")
        // A blacklisted payee: refused, and the payer's reservation made in the same round trip is
        // given back.
        guard case .refused(let payee) = reserve(rules, 123, 121, 100) else { return XCTFail("payee not refused") }
        XCTAssertEqual(payee.rule, .blacklistedAccount)
        XCTAssertEqual(payee.account, 121)
        XCTAssertEqual(try rules.state(of: 123), RiskState(usedToday: 0, lastMinute: 0, pending: 0, window: 0))
        // A merchant may be paid until it is blacklisted; a blacklisted merchant may still pay.
        try flag(124, "merchant", "Acme Ltd")
        _ = try accepted(reserve(rules, 123, 124, 100))
        try flag(124, "merchant_blocked", "chargebacks")
        guard case .refused(let merchant) = reserve(rules, 123, 124, 100) else { return XCTFail("merchant paid") }
        XCTAssertEqual(merchant.rule, .blacklistedMerchant)
        XCTAssertEqual(merchant.detail, "chargebacks")
        _ = try accepted(reserve(rules, 124, 123, 100))
    }

    func testTheAmountAnomalyRuleAcceptsKTimesTheAverageAndRefusesMore() throws {
        let rules = try rules(
            [.init(name: "standard", dailyLimitMinor: nil, perMinute: 0, anomalyFactor: 3)], window: 4, samples: 3)
        // Fewer than anomaly_min_samples confirmed amounts: no average yet, any amount passes.
        try rules.confirm(try accepted(reserve(rules, 131, 132, 5_000)))
        try rules.confirm(try accepted(reserve(rules, 131, 132, 100)))
        try rules.confirm(try accepted(reserve(rules, 131, 132, 100)))
        try rules.confirm(try accepted(reserve(rules, 131, 132, 100)))
        // The window keeps the last 4 (100, 100, 100, 5000): average 1325, 3 x = 3975.
        XCTAssertEqual(try rules.state(of: 131).window, 4)
        try rules.release(try accepted(reserve(rules, 131, 132, 3_975)))
        guard case .refused(let refusal) = reserve(rules, 131, 132, 3_976) else { return XCTFail("not refused") }
        XCTAssertEqual(refusal.rule, .amountAnomaly)
        XCTAssertEqual(refusal.detail, "above 3 x the average of the last 4 transfer(s) (1325)")
        // One more confirmed 100 pushes the 5000 out: average 100, so 301 is now anomalous.
        try rules.confirm(try accepted(reserve(rules, 131, 132, 100)))
        _ = try accepted(reserve(rules, 131, 132, 300))
        XCTAssertEqual(refusedRule(reserve(rules, 131, 132, 301)), .amountAnomaly)
    }

    func testAnAccountClassFromTheFlagsGetsItsOwnLimits() throws {
        let rules = try rules([
            Self.standard, .init(name: "business", dailyLimitMinor: 1_000_000, perMinute: 0, anomalyFactor: 0),
        ])
        Self.awayFromMidnight()
        XCTAssertEqual(refusedRule(reserve(rules, 141, 142, 10_001)), .dailyLimit)
        try flag(141, "class", "business")
        let big = try accepted(reserve(rules, 141, 142, 10_001))
        XCTAssertEqual(big.accountClass, "business")
        // An unknown class falls back to the default class.
        try flag(143, "class", "no-such-class")
        XCTAssertEqual(refusedRule(reserve(rules, 143, 142, 10_001)), .dailyLimit)
    }

    func testReleaseIsIdempotentAndAConfirmedReservationStays() throws {
        let rules = try rules()
        Self.awayFromMidnight()
        let r = try accepted(reserve(rules, 151, 152, 700))
        try rules.release(r)
        try rules.release(r)
        XCTAssertEqual(try rules.state(of: 151), RiskState(usedToday: 0, lastMinute: 0, pending: 0, window: 0))
        let c = try accepted(reserve(rules, 151, 152, 800))
        try rules.confirm(c)
        try rules.confirm(c)
        XCTAssertThrowsError(try rules.release(c)) { error in
            XCTAssertTrue("\(error)".contains("is confirmed"), "\(error)")
        }
        XCTAssertEqual(try rules.state(of: 151), RiskState(usedToday: 800, lastMinute: 1, pending: 0, window: 1))
        // A repeated reserve of a pending id (a retried call) counts once.
        let request = TransferRequest(
            idempotencyKey: "again", from: 151, to: 152, amount: Amount(minorUnits: 50, scale: 2))
        _ = try accepted(rules.reserve(request, reservationID: "same-id"))
        _ = try accepted(rules.reserve(request, reservationID: "same-id"))
        XCTAssertEqual(try rules.state(of: 151).usedToday, 850)
    }

    /// A crash between reserve and settle: nobody confirms or releases, and the reservation's
    /// amount and minute slot come back once it expires. A confirm arriving after the expiry
    /// (a slow commit) counts the amount again.
    func testAReservationNeverSettledExpires() throws {
        let rules = try rules(
            [.init(name: "standard", dailyLimitMinor: 10_000, perMinute: 1, anomalyFactor: 0)], ttl: 300)
        Self.awayFromMidnight()
        let orphan = try accepted(reserve(rules, 161, 162, 10_000))
        XCTAssertEqual(refusedRule(reserve(rules, 161, 162, 1)), .rateLimit)
        var state = try rules.state(of: 161)
        try eventually(timeout: 10, interval: 0.05) {
            state = try rules.state(of: 161)
            return state.pending == 0
        }
        XCTAssertEqual(state, RiskState(usedToday: 0, lastMinute: 0, pending: 0, window: 0))
        let next = try accepted(reserve(rules, 161, 162, 10_000))
        try rules.release(next)
        try rules.confirm(orphan)
        XCTAssertEqual(try rules.state(of: 161), RiskState(usedToday: 10_000, lastMinute: 1, pending: 0, window: 1))
    }

    func testTheLibraryIsLoadedOnDemandAndCommandsCarryTheClassTable() throws {
        let rules = try rules([
            Self.standard, .init(name: "vip", dailyLimitMinor: nil, perMinute: 5, anomalyFactor: 2.5),
        ])
        let command = rules.reserveCommand(
            TransferRequest(idempotencyKey: "k", from: 7, to: 8, amount: Amount(minorUnits: 12, scale: 2)),
            reservationID: "rid")
        let words = (0..<command.count).map { String(decoding: command.argument($0), as: UTF8.self) }
        XCTAssertEqual(
            words,
            [
                "FCALL", "sluice_risk_reserve", "1", "sluice:risk:{7}", "rid", "12", "30000", "600000", "20", "5",
                "standard", "2", "standard", "10000", "0", "0.0", "vip", "-1", "5", "2.5",
            ])
        guard let redis = Self.redis else { throw XCTSkip("no cluster") }
        let client = try RedisClusterClient(
            topology: .cluster(seeds: redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        for master in client.masters {
            _ = try client.connection(to: master).command(RedisCommand("FUNCTION", "FLUSH"))
        }
        _ = try accepted(reserve(rules, 171, 172, 1))
    }
}
