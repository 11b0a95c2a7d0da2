import Binlog
import Foundation
import Ops
import XCTest

@testable import Replication

/// The pure pipeline parts: table filters, the checkpoint coordinator, resume points, the bounded
/// queue, the shutdown sequence and SIGHUP reload plans.
final class PipelineTests: XCTestCase {
    private func cp(_ offset: UInt64, file: String = "bin.000001", gtid: String = "") -> SinkCheckpoint {
        SinkCheckpoint(
            position: BinlogPosition(file: file, offset: offset), gtid: MariaDBGTIDPosition(parsing: gtid),
            commitTime: 0)
    }

    // MARK: filters

    func testFilterIncludeExcludeWholeName() throws {
        let f = try TableFilter(include: [#"payments\..*"#, "ops.audit|ops.au"], exclude: [#"payments\.tmp_.*"#])
        XCTAssertTrue(f.includes(database: "payments", table: "accounts"))
        XCTAssertFalse(f.includes(database: "payments", table: "tmp_import"))
        XCTAssertTrue(f.includes(database: "ops", table: "audit"), "the longer alternative must match the whole name")
        XCTAssertFalse(f.includes(database: "ops", table: "audit2"), "a prefix match is not a match")
        XCTAssertFalse(f.includes(database: "xpayments", table: "accounts"))
        XCTAssertFalse(f.includes(database: "other", table: "t"))
        let changes = [
            RowChange(database: "payments", table: "accounts", kind: .insert, columns: []),
            RowChange(database: "payments", table: "tmp_x", kind: .insert, columns: []),
            RowChange(database: "ops", table: "audit", kind: .delete, columns: []),
        ]
        XCTAssertEqual(f.apply(changes).map(\.qualifiedTable), ["payments.accounts", "ops.audit"])
    }

    func testEmptyIncludeMeansEverythingAndBadPatternIsNamed() throws {
        let all = try TableFilter(include: [], exclude: ["mysql\\..*"])
        XCTAssertTrue(all.includes(database: "any", table: "thing"))
        XCTAssertFalse(all.includes(database: "mysql", table: "user"))
        XCTAssertThrowsError(try TableFilter(include: ["(unclosed"], exclude: [])) { error in
            XCTAssertEqual((error as? FilterError)?.pattern, "(unclosed")
        }
    }

    // MARK: checkpoint coordinator

    func testCheckpointWaitsForEverySink() throws {
        var c = CheckpointCoordinator(sinks: [.init("redis"), .init("kafka")], start: cp(4))
        let t1 = c.dispatch(checkpoint: cp(100))
        let t2 = c.dispatch(checkpoint: cp(200))
        XCTAssertFalse(try c.acknowledge(sink: "redis", through: t2, replicated: true))
        XCTAssertEqual(c.committed, cp(4), "kafka has acknowledged nothing yet")
        XCTAssertTrue(try c.acknowledge(sink: "kafka", through: t1, replicated: true))
        XCTAssertEqual(c.committed, cp(100))
        XCTAssertEqual(c.inFlight, 1)
        try c.acknowledge(sink: "kafka", through: t2, replicated: true)
        XCTAssertEqual(c.committed, cp(200))
        XCTAssertEqual(c.inFlight, 0)
    }

    func testChunksNeverCheckpointBeforeTheirEnd() throws {
        var c = CheckpointCoordinator(sinks: [.init("redis")], start: cp(4))
        let first = c.dispatch(checkpoint: cp(100))
        let chunk0 = c.dispatch(checkpoint: nil)
        let chunk1 = c.dispatch(checkpoint: nil)
        let last = c.dispatch(checkpoint: cp(900))
        try c.acknowledge(sink: "redis", through: first, replicated: false)
        XCTAssertEqual(c.committed, cp(100))
        try c.acknowledge(sink: "redis", through: chunk0, replicated: false)
        try c.acknowledge(sink: "redis", through: chunk1, replicated: false)
        XCTAssertEqual(c.committed, cp(100), "half a transaction never moves the checkpoint")
        try c.acknowledge(sink: "redis", through: last, replicated: false)
        XCTAssertEqual(c.committed, cp(900))
    }

    func testReplicatedCheckpointWaitsForWait() throws {
        var c = CheckpointCoordinator(sinks: [.init("redis", requiresReplicas: true), .init("kafka")], start: cp(4))
        let t1 = c.dispatch(checkpoint: cp(100))
        let t2 = c.dispatch(checkpoint: cp(200))
        try c.acknowledge(sink: "kafka", through: t2, replicated: false)
        try c.acknowledge(sink: "redis", through: t1, replicated: true)
        try c.acknowledge(sink: "redis", through: t2, replicated: false)
        XCTAssertEqual(c.committed, cp(200))
        XCTAssertEqual(c.replicated, cp(100), "the replicas have not confirmed t2")
        XCTAssertEqual(c.inFlight, 1)
        XCTAssertEqual(c.unapplied, 0, "t2 is applied, only its replicas are missing")
        let t3Early = c.dispatch(checkpoint: cp(150))
        XCTAssertEqual(c.unapplied, 1)
        // Acknowledging the same ticket again once the replicas confirm it (WAIT asked again).
        try c.acknowledge(sink: "kafka", through: t3Early, replicated: false)
        try c.acknowledge(sink: "redis", through: t3Early, replicated: false)
        try c.acknowledge(sink: "redis", through: t3Early, replicated: true)
        XCTAssertEqual(c.replicated, cp(150))
        XCTAssertEqual(c.inFlight, 0)
        _ = c.dispatch(checkpoint: cp(180))
        XCTAssertEqual(c.rewind(), cp(150))
        XCTAssertEqual(c.committed, cp(150))
        XCTAssertEqual(c.inFlight, 0)
        let t3 = c.dispatch(checkpoint: cp(200))
        try c.acknowledge(sink: "kafka", through: t3, replicated: false)
        try c.acknowledge(sink: "redis", through: t3, replicated: true)
        XCTAssertEqual(c.replicated, cp(200))
    }

    func testCoordinatorRefusesBadAcknowledgements() throws {
        var c = CheckpointCoordinator(sinks: [.init("redis")], start: nil)
        let t1 = c.dispatch(checkpoint: cp(10))
        let t2 = c.dispatch(checkpoint: cp(20))
        XCTAssertThrowsError(try c.acknowledge(sink: "kafak", through: t1, replicated: true)) {
            XCTAssertEqual(($0 as? CoordinatorError)?.code, .unknownSink)
        }
        XCTAssertThrowsError(try c.acknowledge(sink: "redis", through: t2 + 1, replicated: true)) {
            XCTAssertEqual(($0 as? CoordinatorError)?.code, .unknownTicket)
        }
        try c.acknowledge(sink: "redis", through: t2, replicated: true)
        XCTAssertThrowsError(try c.acknowledge(sink: "redis", through: t1, replicated: true)) {
            XCTAssertEqual(($0 as? CoordinatorError)?.code, .outOfOrder)
        }
        XCTAssertEqual(c.committed, cp(20))
    }

    func testResumeFromTheOldestCheckpoint() {
        let a = cp(500, file: "bin.000009")
        let b = cp(100, file: "bin.000010")
        let c2 = cp(90, file: "bin.000010")
        XCTAssertEqual(SinkCheckpoint.resumePoint([b, a, nil, c2]), a, "bin.000009 precedes bin.000010")
        XCTAssertNil(SinkCheckpoint.resumePoint([nil, nil]))
        // GTIDs win over positions (a promoted source writes other files).
        let g1 = cp(999, file: "new.000001", gtid: "0-2-41")
        let g2 = cp(4, file: "new.000002", gtid: "0-1-40,1-1-7")
        XCTAssertEqual(SinkCheckpoint.resumePoint([g1, g2]), g2)
        XCTAssertTrue(cp(1, gtid: "0-1-5").isBehind(cp(1, gtid: "0-1-5,1-1-1")), "a missing domain is behind")
    }

    // MARK: bounded queue

    func testBoundedQueueBlocksTheProducerWhenFull() {
        let q = BoundedQueue<Int>(capacity: 2)
        XCTAssertTrue(q.push(1))
        XCTAssertTrue(q.push(2))
        XCTAssertFalse(q.push(3, deadline: Date().addingTimeInterval(0.05)), "full: the push times out")
        XCTAssertFalse(q.waitForRoom(deadline: Date().addingTimeInterval(0.05)), "full: no room before the deadline")
        let pushed = expectation(description: "blocked push completes after a pop")
        DispatchQueue.global().async {
            if q.push(3) { pushed.fulfill() }
        }
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(q.count, 2, "the producer waits")
        XCTAssertEqual(q.pop(), 1)
        wait(for: [pushed], timeout: 5)
        XCTAssertEqual(q.pop(), 2)
        XCTAssertTrue(q.waitForRoom(deadline: Date().addingTimeInterval(0.05)), "one left: room for another")
        XCTAssertEqual(q.pop(), 3)
        XCTAssertNil(q.pop(deadline: Date().addingTimeInterval(0.02)))
    }

    func testBoundedQueueCloseDrainsThenEnds() {
        let q = BoundedQueue<Int>(capacity: 100)
        for i in 0..<80 { q.push(i) }
        q.close()
        XCTAssertFalse(q.push(99), "closed queues refuse")
        var got: [Int] = []
        while let v = q.pop() { got.append(v) }
        XCTAssertEqual(got, Array(0..<80))
        let blocked = BoundedQueue<Int>(capacity: 1)
        let ended = expectation(description: "pop returns nil on close")
        DispatchQueue.global().async {
            if blocked.pop() == nil { ended.fulfill() }
        }
        Thread.sleep(forTimeInterval: 0.02)
        blocked.close()
        wait(for: [ended], timeout: 5)
    }

    // MARK: shutdown

    func testShutdownDrainsThenExitsZero() {
        var m = ShutdownMachine(timeoutSeconds: 10)
        XCTAssertEqual(m.progress(inFlight: 3, now: 0), ShutdownMachine.Action.none, "running: progress does nothing")
        XCTAssertEqual(m.signal("SIGTERM", now: 100), .stopReading(deadline: 110))
        XCTAssertEqual(m.progress(inFlight: 2, now: 105), ShutdownMachine.Action.none)
        XCTAssertEqual(
            m.progress(inFlight: 0, now: 106), .exit(code: 0, reason: "SIGTERM: drained, checkpoint written"))
        XCTAssertEqual(m.signal("SIGTERM", now: 107), ShutdownMachine.Action.none)
    }

    func testShutdownTimesOutOrSecondSignalExitsOne() {
        var m = ShutdownMachine(timeoutSeconds: 2)
        _ = m.signal("SIGINT", now: 0)
        guard case .exit(1, let reason) = m.progress(inFlight: 4, now: 2) else { return XCTFail("expected exit 1") }
        XCTAssertTrue(reason.contains("4 transaction(s) still unacknowledged"), reason)
        var n = ShutdownMachine(timeoutSeconds: 30)
        _ = n.signal("SIGTERM", now: 0)
        guard case .exit(1, let why) = n.signal("SIGINT", now: 1) else { return XCTFail("expected exit 1") }
        XCTAssertTrue(why.hasPrefix("second signal SIGINT while draining after SIGTERM"), why)
        var f = ShutdownMachine(timeoutSeconds: 1)
        XCTAssertEqual(f.failed("source: purged binlog"), .exit(code: 1, reason: "source: purged binlog"))
    }

    // MARK: reload

    func testReloadAppliesLogLevelAndNamesTheRest() throws {
        func load(_ extra: String) throws -> SluiceConfig {
            let text = """
                [source]
                user = "sluice"
                server_id = 7
                \(extra)
                """
            switch SluiceConfig.parse(text, file: "t.toml", directory: ".", environment: [:]) {
            case .success(let loaded): return loaded.config
            case .failure(let errors): throw errors
            }
        }
        let old = try load("[log]\nlevel = \"info\"")
        let plan = ReloadPlan(running: old, file: try load("[log]\nlevel = \"debug\"\n[daemon]\nqueue_capacity = 5"))
        XCTAssertEqual(plan.logLevel, .debug)
        XCTAssertEqual(plan.needsRestart, ["[daemon]"])
        XCTAssertEqual(
            plan.summary,
            "configuration reloaded: log level is now debug; changes to [daemon] need a restart and were not applied")
        XCTAssertEqual(ReloadPlan(running: old, file: old).summary, "configuration reloaded: nothing changed")
    }
}
