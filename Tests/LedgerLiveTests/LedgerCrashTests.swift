import Foundation
import TestSupport
import XCTest

@testable import Ledger

/// `kill -9` of the built `sluice ledger serve` at each crash point of the protocol while four
/// clients send cross-shard transfers, then `sluice ledger recover`: every transfer is all or
/// nothing, the total is conserved, no XA is left in doubt, the journal's decisions are exactly
/// the committed transfers, Redis equals MySQL, and every acknowledged idempotency key answers
/// its first answer after the crashes.
final class LedgerCrashTests: XCTestCase {
    func testKillAtEveryCrashPointThenRecover() throws {
        let fixture = try LedgerFixture(label: "ledger-crash", accounts: 20, balance: 100_000)
        defer { fixture.close() }
        var acknowledged: [String: (body: String, id: String)] = [:]
        var summary: [String] = []
        for (round, point) in Failpoints.Point.allCases.enumerated() {
            let child = try fixture.startServe(environment: [
                "SLUICE_LEDGER_FAILPOINT": point.rawValue, "SLUICE_LEDGER_FAILPOINT_SKIP": "8",
            ])
            let load = TransferLoad(port: fixture.httpPort, prefix: "r\(round)", accounts: fixture.accounts)
            load.run(threads: 4, until: Date().addingTimeInterval(30))
            XCTAssertTrue(child.waitForExit(timeout: 30), "\(point.rawValue): the failpoint did not fire")
            let status = child.exitStatusIfExited() ?? 0
            XCTAssertEqual(status & 0x7F, SIGKILL, "\(point.rawValue): ended by SIGKILL: \(fixture.logTail())")
            fixture.sandbox.forget(child)
            XCTAssertGreaterThan(load.acknowledged.count, 0, "\(point.rawValue): load before the crash")

            let (code, output) = try fixture.recover()
            XCTAssertEqual(code, 0, output)
            let counts = RecoverSummary(output)
            switch point {
            case .afterPrepare: XCTAssertGreaterThan(counts.rolledBack, 0, "\(point.rawValue): \(output)")
            case .afterDecision, .betweenCommits:
                XCTAssertGreaterThan(counts.committed, 0, "\(point.rawValue): \(output)")
            case .afterCommit: XCTAssertGreaterThan(counts.rewritten, 0, "\(point.rawValue): \(output)")
            case .beforePrepare: break
            }
            try fixture.assertConsistent(point.rawValue)
            try fixture.assertRedisEqualsMySQL(point.rawValue)
            let entries = try fixture.entryIDs()
            for (key, answer) in load.acknowledged {
                XCTAssertTrue(entries.contains(answer.id), "\(point.rawValue): acknowledged \(key) is missing")
                acknowledged[key] = answer
            }
            summary.append(
                "\(point.rawValue): \(load.acknowledged.count) acknowledged, recovery committed \(counts.committed), "
                    + "rolled back \(counts.rolledBack), rewrote \(counts.rewritten)")
        }

        // After all the crashes, each acknowledged key answers 200 with its first transfer.
        let child = try fixture.startServe()
        defer { fixture.sandbox.stop(child) }
        for (key, answer) in acknowledged {
            let again = try HTTPClient.request(port: fixture.httpPort, "POST", "/v1/transfers", body: answer.body)
            XCTAssertEqual(again.status, 200, key)
            XCTAssertEqual(HTTPClient.json(again.body)["transfer_id"] as? String, answer.id, key)
        }
        try fixture.assertConsistent("after the replays")
        let metrics = try HTTPClient.request(port: fixture.httpPort, "GET", "/metrics").body
        XCTAssertTrue(
            metrics.contains("sluice_ledger_transfers_total{kind=\"replayed\"} \(acknowledged.count)\n"), metrics)
        XCTAssertTrue(metrics.contains("sluice_ledger_in_doubt 0\n"), metrics)
        // `sluice journal show --json` lists exactly the decisions (read-only, while serve runs).
        let shown = try fixture.sandbox.run(
            service: "journal-show", executable: fixture.binary,
            arguments: ["journal", "show", fixture.config.journalDirectory, "--json", "--from", "3"],
            workingDirectory: fixture.sandbox.path, logPath: fixture.sandbox.path + "/show.log", timeout: 30)
        XCTAssertEqual(shown.status, 0, shown.output)
        let records = shown.output.split(separator: "\n").map { HTTPClient.json(String($0)) }.filter { !$0.isEmpty }
        XCTAssertEqual(records.first?["seq"] as? Int, 3)
        let decided = try Journal.read(directory: fixture.config.journalDirectory).records.compactMap { record in
            if case .decision(let d) = record.body, record.sequence >= 3 { return d.transferID }
            return nil
        }
        XCTAssertEqual(
            records.filter { $0["kind"] as? String == "decision" }.compactMap { $0["transfer_id"] as? String }, decided)
        print("LedgerCrashTests: " + summary.joined(separator: "; "))
    }
}

/// The counts in `sluice ledger recover`'s last line.
struct RecoverSummary {
    var committed = 0
    var rolledBack = 0
    var rewritten = 0

    init(_ output: String) {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("recovery: ") }) else { return }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        if numbers.count >= 4 {
            committed = numbers[0]
            rolledBack = numbers[1]
            rewritten = numbers[3]
        }
    }
}

/// Client threads posting cross-shard transfers (odd account to even account) until the server
/// stops answering; keeps the acknowledged (201) ones.
final class TransferLoad: @unchecked Sendable {
    let port: Int
    let prefix: String
    let accounts: Int
    private let lock = NSLock()
    private var acked: [String: (body: String, id: String)] = [:]
    private var unavailableCount = 0
    private var unansweredCount = 0

    /// Only transfers between odd accounts with keys of shard 1 (one shard touched).
    let singleShard: Bool

    init(port: Int, prefix: String, accounts: Int, singleShard: Bool = false) {
        self.port = port
        self.prefix = prefix
        self.accounts = accounts
        self.singleShard = singleShard
    }

    /// The key `base`, or for single-shard load the first `base-N` whose shard is 1.
    private func key(_ base: String) -> String {
        guard singleShard else { return base }
        let map = ShardMap(count: 2)
        return (0...).lazy.map { "\(base)-\($0)" }.first { map.shard(ofKey: $0) == 1 } ?? base
    }

    var acknowledged: [String: (body: String, id: String)] { lock.withLock { acked } }
    /// Answers 503 (nothing done, or decided and pending).
    var unavailable: Int { lock.withLock { unavailableCount } }
    /// Requests that got no answer (the server stopped or was killed meanwhile).
    var unanswered: Int { lock.withLock { unansweredCount } }

    /// `stopOnError`: a thread ends at the first request without an answer (the server died).
    func run(threads: Int, until deadline: Date, stopOnError: Bool = true) {
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var i = 0
            while Date() < deadline {
                i += 1
                let key = key("\(prefix)-\(thread)-\(i)")
                let from = 2 * Int.random(in: 0..<(accounts / 2)) + 1
                var to =
                    singleShard ? 2 * Int.random(in: 0..<(accounts / 2)) + 1 : 2 * Int.random(in: 1...(accounts / 2))
                if to == from { to = from == 1 ? 3 : 1 }
                let body =
                    #"{"idempotency_key":"\#(key)","from":\#(from),"to":\#(to),"amount":"\#(Int.random(in: 1...300)).\#(Int.random(in: 10...99))"}"#
                guard let answer = try? HTTPClient.request(port: port, "POST", "/v1/transfers", body: body) else {
                    lock.withLock { unansweredCount += 1 }
                    if stopOnError { return }
                    continue
                }
                if answer.status == 503 { lock.withLock { unavailableCount += 1 } }
                if answer.status == 201, let id = HTTPClient.json(answer.body)["transfer_id"] as? String {
                    lock.withLock { acked[key] = (body, id) }
                }
            }
        }
    }
}

/// A shard's mariadbd killed with SIGKILL during a burst of transfers, then restarted: the serving
/// ledger answers 503 meanwhile, resolves what it left in doubt once the shard is back (no XA
/// lock left held, without a restart), and every acknowledged transfer is there.
final class LedgerShardCrashTests: XCTestCase {
    func testAShardKilledDuringABurstIsResolvedOnceItIsBack() throws {
        let fixture = try LedgerFixture(label: "ledger-shard-crash", accounts: 20, balance: 100_000)
        defer { fixture.close() }
        let child = try fixture.startServe()
        let load = TransferLoad(port: fixture.httpPort, prefix: "burst", accounts: fixture.accounts)
        let loadDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            load.run(threads: 4, until: Date().addingTimeInterval(6), stopOnError: false)
            loadDone.signal()
        }
        try waitUntil("transfers before the crash", timeout: 20) { load.acknowledged.count >= 20 }
        let beforeCrash = load.acknowledged.count
        fixture.shards[1].crash()
        try waitUntil("503 answers while the shard is down", timeout: 20) { load.unavailable > 0 }
        try fixture.shards[1].restart()
        loadDone.wait()
        XCTAssertGreaterThan(load.acknowledged.count, beforeCrash, "transfers went on after the restart")
        // Without restarting the ledger, nothing stays in doubt.
        try waitUntil("no XA left in doubt", timeout: 30) { (try? fixture.inDoubt()) == [] }
        XCTAssertTrue(child.isRunning, fixture.logTail())
        fixture.sandbox.stop(child)
        let (code, output) = try fixture.recover()
        XCTAssertEqual(code, 0, output)
        XCTAssertEqual(RecoverSummary(output).committed + RecoverSummary(output).rolledBack, 0, output)
        try fixture.assertConsistent("after the shard crash")
        try fixture.assertRedisEqualsMySQL("after the shard crash")
        let entries = try fixture.entryIDs()
        for (key, answer) in load.acknowledged {
            XCTAssertTrue(entries.contains(answer.id), "acknowledged \(key) is missing")
        }
        print(
            "LedgerShardCrashTests: \(load.acknowledged.count) acknowledged (\(beforeCrash) before the crash), "
                + "\(load.unavailable) answered 503")
    }
}

/// `one_phase_single_shard = true` with single-shard transfers: they commit in one phase, and a
/// crash after the journal decision (so before the one-phase commit) is found by recovery as a
/// commit that never happened and recorded as aborted; the invariants hold.
final class LedgerOnePhaseTests: XCTestCase {
    func testOnePhaseCommitsAndACrashAfterTheDecisionIsRecordedAsAborted() throws {
        let fixture = try LedgerFixture(label: "ledger-one-phase", ledgerExtra: "one_phase_single_shard = true")
        defer { fixture.close() }
        let child = try fixture.startServe(environment: [
            "SLUICE_LEDGER_FAILPOINT": "after-decision", "SLUICE_LEDGER_FAILPOINT_SKIP": "8",
        ])
        let load = TransferLoad(port: fixture.httpPort, prefix: "one", accounts: fixture.accounts, singleShard: true)
        load.run(threads: 4, until: Date().addingTimeInterval(30))
        XCTAssertTrue(child.waitForExit(timeout: 30), "the failpoint did not fire")
        fixture.sandbox.forget(child)
        XCTAssertGreaterThan(load.acknowledged.count, 0)

        let (code, output) = try fixture.recover()
        XCTAssertEqual(code, 0, output)
        XCTAssertTrue(output.contains("aborted one") || output.contains("aborted ledger."), output)
        try fixture.assertConsistent("one-phase, crash after the decision")
        try fixture.assertRedisEqualsMySQL("one-phase")
        let entries = try fixture.entryIDs()
        for (key, answer) in load.acknowledged {
            XCTAssertTrue(entries.contains(answer.id), "acknowledged \(key) is missing")
        }
        let decisions = try Journal.read(directory: fixture.config.journalDirectory).records.compactMap { record in
            if case .decision(let d) = record.body { return d }
            return nil
        }
        XCTAssertTrue(decisions.allSatisfy { $0.onePhase && $0.shards == [1] }, "\(decisions.prefix(3))")
        let again = try fixture.recover()
        XCTAssertTrue(again.output.contains("recovery: 0 committed, 0 rolled back"), again.output)
        XCTAssertFalse(again.output.contains("aborted "), "settled once, not again: \(again.output)")
    }
}

/// The journal folder on a small tmpfs that fills up under load: the transfers that meet the full
/// disk answer 503, `ledger serve` stops with exit 1 (fail-stop), and after `ledger recover`
/// nothing acknowledged is missing and the invariants hold.
final class LedgerJournalFullTests: XCTestCase {
    func testAFullJournalDiskAnswers503StopsAndLosesNothingAcknowledged() throws {
        // Balances large enough that the load never runs out of funds before the disk is full.
        let fixture = try LedgerFixture(label: "ledger-full-disk", balance: 100_000_000)
        defer { fixture.close() }
        let mountPoint = fixture.config.journalDirectory
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=32k", "tmpfs", mountPoint]) == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (needs root)")
        }
        defer { _ = Self.run("/bin/umount", [mountPoint]) }

        let child = try fixture.startServe()
        let load = TransferLoad(port: fixture.httpPort, prefix: "full", accounts: fixture.accounts)
        load.run(threads: 4, until: Date().addingTimeInterval(60))
        guard child.waitForExit(timeout: 30) else {
            fixture.sandbox.stop(child)
            return XCTFail(
                "ledger serve kept running with a full journal disk: \(load.acknowledged.count) acknowledged")
        }
        let status = child.exitStatusIfExited() ?? 0
        XCTAssertEqual((status >> 8) & 0xFF, 1, "exit 1 (fail-stop): \(fixture.logTail())")
        fixture.sandbox.forget(child)
        // The disk fills on a decision (that transfer answers 503) or on a `completed` record of a
        // transfer already committed (it answers 201); either way the server stops at once, so
        // the load meets 503s or a server gone, never a success for an unsynced decision.
        XCTAssertGreaterThan(
            load.unavailable + load.unanswered, 0, "the transfers after the disk filled answered 503 or found it stopped")
        XCTAssertGreaterThan(load.acknowledged.count, 20)
        XCTAssertTrue(fixture.logTail().contains("the journal failed"), fixture.logTail())

        let (code, output) = try fixture.recover()
        XCTAssertEqual(code, 0, output)
        try fixture.assertConsistent("after the journal disk filled up")
        let entries = try fixture.entryIDs()
        for (key, answer) in load.acknowledged {
            XCTAssertTrue(entries.contains(answer.id), "acknowledged \(key) is missing")
        }
        print(
            "LedgerJournalFullTests: \(load.acknowledged.count) acknowledged, \(load.unavailable) answered 503, "
                + "\(load.unanswered) unanswered; "
                + (output.split(separator: "\n").last.map(String.init) ?? ""))
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
