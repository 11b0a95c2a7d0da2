import Binlog
import Foundation
import Ops
import RedisCluster
import TestHelpers
import Timekeeping
import XCTest

@testable import Replication

/// The `Sink` seam without servers: a sink kept in memory, registered with the pipeline like the
/// Redis and Kafka sinks, gets every transaction in order, its checkpoint moves with the batches,
/// and its failures are handled as its policy says (retried with a warning and a recovery line,
/// or halting the pipeline before the failing transaction).
final class SinkSeamTests: XCTestCase {
    struct Refused: Error, CustomStringConvertible {
        let description: String
        /// The policy's answer: retried, or the pipeline stops.
        let retry: Bool
    }

    /// A real `Sink`: it keeps what it applied and its checkpoint in memory, and fails the steps
    /// it is told to fail (the first `failApplies` applies, the first `failStores` checkpoint
    /// stores, every apply of a transaction at `haltAt`).
    final class MemorySink: Sink, @unchecked Sendable {
        let name = "memory"
        var label: String { "test.memory" }
        let requiresReplicas = false
        private let lock = NSLock()
        private var appliedTransactions: [PipelineTransaction] = []
        private var storedCheckpoint: SinkCheckpoint?
        private var token: FenceToken?
        var failApplies = 0
        var failStores = 0
        var haltAt: BinlogPosition?
        /// When set, every apply waits for it first (a sink that holds its batch).
        var gate: DispatchSemaphore?
        private var attemptCount = 0
        private(set) var closed = false

        var applied: [PipelineTransaction] { locked { appliedTransactions } }
        var attempts: Int { locked { attemptCount } }
        var checkpoint: SinkCheckpoint? { locked { storedCheckpoint } }

        func loadCheckpoint() throws -> SinkCheckpoint? { checkpoint }
        func fence(_ token: FenceToken) { locked { self.token = token } }

        func apply(_ transactions: [PipelineTransaction], checkpoint: SinkCheckpoint?, shouldAbort: () -> Bool)
            throws -> SinkApplied
        {
            locked { attemptCount += 1 }
            gate?.wait()
            try locked {
                if let haltAt, transactions.contains(where: { $0.origin.end == haltAt }) {
                    throw Refused(description: "row of pay.accounts at \(haltAt) cannot be written", retry: false)
                }
                if failApplies > 0 {
                    failApplies -= 1
                    throw Refused(description: "memory full", retry: true)
                }
                appliedTransactions += transactions
            }
            var rows: [String: RedisSink.TableCounts] = [:]
            for t in transactions {
                for c in t.changes { rows[c.qualifiedTable, default: .init()].applied += 1 }
            }
            return SinkApplied(rows: rows)
        }

        func storeCheckpoint(_ checkpoint: SinkCheckpoint?) throws {
            try locked {
                if failStores > 0 {
                    failStores -= 1
                    throw Refused(description: "checkpoint slot busy", retry: true)
                }
                storedCheckpoint = checkpoint
            }
        }

        func failure(_ error: Error, in step: SinkStep) -> SinkFailure {
            guard let refused = error as? Refused, refused.retry else {
                return .halt(line: "sink \(name): \(error); stopping")
            }
            return .retry(step == .apply ? .redisApply : .checkpoint)
        }

        func close() { locked { closed = true } }

        private func locked<T>(_ body: () throws -> T) rethrows -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body()
        }
    }

    typealias Events = LockedList<LogEvent>

    /// Transaction `n` (1-based): one row of `pay.accounts` at version `n`, ending at offset n*100;
    /// `chunked` makes it a first chunk without a checkpoint.
    private func transaction(_ n: Int, chunked: Bool = false) -> PipelineTransaction {
        let end = BinlogPosition(file: "bin.000001", offset: UInt64(n * 100))
        let change = RowChange(
            database: "pay", table: "accounts", kind: .update, columns: ["id", "version"],
            after: [.int(Int64(n % 3)), .int(Int64(n))], position: end, primaryKey: [0])
        return PipelineTransaction(
            changes: [change], origin: .init(serverID: 1, gtid: nil, timestamp: 1_700_000_000 + UInt32(n), end: end),
            checkpoint: chunked ? nil : SinkCheckpoint(position: end, gtid: nil, commitTime: 1_700_000_000 + Int64(n)))
    }

    /// Submits `sent`, drains, and checks the sink has every one of them, in order, and the
    /// checkpoint of the last.
    private func deliverAll(_ sent: [PipelineTransaction], to p: SinkPipeline, _ sink: MemorySink) {
        for t in sent { XCTAssertTrue(p.submit(t)) }
        XCTAssertTrue(p.drain(timeoutSeconds: 30), "the sink did not drain")
        XCTAssertNil(p.error)
        XCTAssertEqual(sink.applied, sent, "every transaction, in order, once: nothing skipped")
        XCTAssertEqual(sink.checkpoint, sent.last?.checkpoint)
        XCTAssertEqual(p.committed, sent.last?.checkpoint)
    }

    private func pipeline(
        _ sink: MemorySink, _ events: Events, _ registry: MetricsRegistry, clock: any ServiceClock = SystemClock()
    ) throws -> SinkPipeline {
        SinkPipeline(
            sinks: [sink], filter: try TableFilter(include: [], exclude: []), start: nil,
            settings: .init(queueCapacity: 4, batchTransactions: 3, retryPauseSeconds: 0.01),
            metrics: SinkMetrics(registry: registry, clock: clock), logger: .events { events.append($0) }, clock: clock)
    }

    /// How long a sink has held its batch is read on the injected monotonic clock: a wall-clock
    /// step cannot make a held sink look fine, and the test moves time instead of waiting.
    func testABatchHeldInTheSinkIsTimedOnTheInjectedClock() throws {
        let sink = MemorySink()
        let gate = DispatchSemaphore(value: 0)
        sink.gate = gate
        let clock = ManualClock()
        let p = try pipeline(sink, Events(), MetricsRegistry(), clock: clock)
        XCTAssertEqual(p.blockedSeconds().map(\.label), ["test.memory"])
        XCTAssertEqual(p.blockedSeconds().map(\.seconds), [0], "nothing to apply, nothing held")
        XCTAssertTrue(p.submit(transaction(1)))
        try waitUntil("the sink holds the batch", timeout: 30) { sink.attempts > 0 }
        clock.advance(by: 7.5)
        XCTAssertEqual(p.blockedSeconds().map(\.seconds), [7.5], "the batch waits in the sink")
        gate.signal()
        XCTAssertTrue(p.drain(timeoutSeconds: 30))
        XCTAssertEqual(sink.applied, [transaction(1)])
        XCTAssertEqual(p.blockedSeconds().map(\.seconds), [0], "applied: held no longer")
    }

    func testARegisteredSinkGetsEveryTransactionInOrderAndItsCheckpointAdvances() throws {
        let sink = MemorySink()
        let events = Events()
        let registry = MetricsRegistry()
        let p = try pipeline(sink, events, registry)
        deliverAll((1...30).map { transaction($0, chunked: $0 == 30) } + [transaction(31)], to: p, sink)
        XCTAssertEqual(p.inFlight, 0)
        XCTAssertTrue(sink.closed, "the loop closes the sink when its queue is drained")
        XCTAssertTrue(events.items.isEmpty, "\(events.items)")
        let text = registry.render()
        XCTAssertTrue(
            text.contains(#"sluice_sink_rows_applied_total{db="pay",sink="test.memory",table="accounts"} 31"#), text)
        XCTAssertTrue(text.contains(#"sluice_checkpoint_position_bytes{sink="test.memory"} 3100"#), text)
    }

    func testARetriedFailureIsAppliedAgainWithAWarningAndOneRecoveryLine() throws {
        let sink = MemorySink()
        sink.failApplies = 3
        sink.failStores = 2
        let events = Events()
        let registry = MetricsRegistry()
        let p = try pipeline(sink, events, registry)
        deliverAll((1...5).map { transaction($0) }, to: p, sink)
        let lines = events.items.map { "\($0.level.rawValue) \($0.message)" }
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("warning sink memory: applying a batch of") && $0.hasSuffix("memory full; retrying")
            },
            "\(lines)")
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("notice sink memory: applying a batch of") && $0.contains("after 3 failed attempt(s)")
            },
            "\(lines)")
        XCTAssertTrue(
            lines.contains("warning sink memory: storing its checkpoint: checkpoint slot busy; retrying"), "\(lines)")
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("notice sink memory: storing its checkpoint: succeeded again after 2 failed")
            },
            "\(lines)")
        XCTAssertTrue(events.items.allSatisfy { $0.metadata["sink"] == .string("test.memory") }, "\(events.items)")
        let text = registry.render()
        XCTAssertTrue(text.contains(#"sluice_errors_total{kind="redis_apply"} 3"#), text)
        XCTAssertTrue(text.contains(#"sluice_errors_total{kind="checkpoint"} 2"#), text)
    }

    func testAHaltingFailureStopsThePipelineBeforeTheFailingTransaction() throws {
        let sink = MemorySink()
        sink.haltAt = BinlogPosition(file: "bin.000001", offset: 400)
        let events = Events()
        let p = try pipeline(sink, events, MetricsRegistry())
        for n in 1...3 { XCTAssertTrue(p.submit(transaction(n))) }
        try waitUntil("the first three transactions committed", timeout: 30) {
            p.committed == transaction(3).checkpoint
        }
        XCTAssertEqual(p.committed, transaction(3).checkpoint)
        let attemptsBefore = sink.attempts
        _ = p.submit(transaction(4))
        _ = p.submit(transaction(5))
        XCTAssertTrue(p.drain(timeoutSeconds: 30))
        XCTAssertNotNil(p.error as? Refused)
        XCTAssertEqual(p.committed, transaction(3).checkpoint, "the checkpoint stays before the failing transaction")
        XCTAssertEqual(sink.checkpoint, transaction(3).checkpoint)
        XCTAssertEqual(sink.applied, (1...3).map { transaction($0) })
        XCTAssertEqual(sink.attempts, attemptsBefore + 1, "a halting failure is not retried")
        XCTAssertFalse(p.submit(transaction(6)), "a halted pipeline takes nothing more")
        let halt = events.items.first { $0.level == .error }
        XCTAssertEqual(
            halt?.message, "sink memory: row of pay.accounts at bin.000001:400 cannot be written; stopping")
        XCTAssertEqual(halt?.metadata["sink"], .string("test.memory"))
    }
}
