import Foundation
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Ledger

#if canImport(Glibc)
    import Glibc
#endif

/// `ledger serve` killed (SIGKILL, failpoint `after-prepare`) between a transfer's risk
/// reservation and its outcome: nobody confirms or releases the reservation, so it expires after
/// `reservation_ttl_ms` and the account's whole daily limit is usable again.
final class LedgerRiskCrashTests: XCTestCase {
    func testAReservationLeftByACrashExpires() throws {
        let fixture = try LedgerFixture(
            label: "ledger-risk-crash", accounts: 4, balance: 100_000,
            ledgerExtra: """
                [ledger.risk]
                reservation_ttl_ms = 1500
                [[ledger.risk.class]]
                name = "standard"
                daily_limit = "50.00"
                """)
        defer { fixture.close() }
        let config = try XCTUnwrap(fixture.config.risk)
        let seeds = fixture.redisSeeds
        let rules = RiskRules(
            config: config,
            makeClient: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) })
        RiskRulesTests.awayFromMidnight()

        let child = try fixture.startServe(environment: ["SLUICE_LEDGER_FAILPOINT": "after-prepare"])
        let body = #"{"idempotency_key":"crash-1","from":1,"to":2,"amount":"50.00"}"#
        _ = try? HTTPClient.request(port: fixture.httpPort, "POST", "/v1/transfers", body: body, timeout: 20)
        XCTAssertTrue(child.waitForExit(timeout: 30), "the failpoint did not fire")
        XCTAssertEqual((child.exitStatusIfExited() ?? 0) & 0x7F, SIGKILL, fixture.logTail())
        fixture.sandbox.forget(child)
        // The check accepted and reserved before the crash; no decision was made.
        let records = try Journal.read(directory: fixture.config.journalDirectory).records
        let checks = records.compactMap { record -> JournalRiskCheck? in
            if case .risk(let r) = record.body { return r }
            return nil
        }
        XCTAssertEqual(checks.map(\.idempotencyKey), ["crash-1"])
        XCTAssertEqual(checks.first?.accepted, true)
        XCTAssertFalse(records.contains { if case .decision = $0.body { true } else { false } })

        var state = try rules.state(of: 1)
        try eventually(timeout: 20, interval: 0.1) {
            state = try rules.state(of: 1)
            return state.usedToday == 0 && state.pending == 0
        }
        XCTAssertEqual(state, RiskState(usedToday: 0, lastMinute: 0, pending: 0, window: 0))

        let (code, output) = try fixture.recover()
        XCTAssertEqual(code, 0, output)
        let again = try fixture.startServe()
        defer { fixture.sandbox.stop(again) }
        let answer = try HTTPClient.request(
            port: fixture.httpPort, "POST", "/v1/transfers",
            body: #"{"idempotency_key":"after-1","from":1,"to":2,"amount":"50.00"}"#)
        XCTAssertEqual(answer.status, 201, answer.body)
        try fixture.assertConsistent("after the crash")
    }
}
