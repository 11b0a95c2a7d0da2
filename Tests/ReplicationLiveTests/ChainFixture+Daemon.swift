import Binlog
import Foundation
import Kafka
import MySQLSource
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// What the daemon's fault tests add to `ChainFixture`: killing the daemon, its sinks'
/// checkpoints against a binlog position (while the workload still runs), and the whole topic.
extension ChainFixture {
    /// SIGKILL, reaped and forgotten by the sandbox.
    func kill9(_ child: ChildProcess) {
        child.kill9()
        folder.forget(child)
    }

    /// The end of the source's binlog now.
    func masterPosition() throws -> BinlogPosition {
        let status = try db.query("SHOW MASTER STATUS")
        guard let file = status.value("File"), let offset = status.value("Position").flatMap({ UInt64($0) }) else {
            throw DaemonError("SHOW MASTER STATUS answered \(status)")
        }
        return BinlogPosition(file: file, offset: offset)
    }

    /// The checkpoints of the daemon's Redis sink and Kafka sink.
    func sinkCheckpoints() throws -> (redis: SinkCheckpoint?, kafka: SinkCheckpoint?) {
        let store = CheckpointStore(client: try client(sandbox.primary), prefix: "sluice:checkpoint:")
        return (try store.load(sink: "primary"), try store.load(sink: "kafka"))
    }

    /// Waits until both sinks' checkpoints are at or past `position` (false after `timeout` s or
    /// when `daemon` ended).
    func waitUntilReached(_ position: BinlogPosition, daemon: ChildProcess, timeout: Double = 60) throws -> Bool {
        func reached() throws -> Bool {
            let (r, k) = try sinkCheckpoints()
            guard let r, let k else { return false }
            return r.position >= position && k.position >= position
        }
        try eventually(timeout: timeout, interval: 0.1) { try reached() || !daemon.isRunning }
        return try reached()
    }

    /// Every message of the demo topic, all partitions, each in offset order: reads until `done`
    /// says the messages are complete and a further second brings nothing, or `timeout` s pass.
    func readTopic(timeout: Double = 30, done: ([KafkaMessage]) -> Bool) throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(settings: [
            "bootstrap.servers": sandbox.kafka.bootstrapServers, "group.id": "daemon-faults",
            "enable.auto.commit": "false",
        ])
        let partitions = try consumer.metadata().topic(DemoConfig.topic)?.partitionCount ?? 0
        try consumer.assign(
            (0..<partitions).map { KafkaPartitionOffset(topic: DemoConfig.topic, partition: Int32($0), offset: 0) })
        var messages: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(timeout)
        var complete = false
        while Date() < deadline {
            let polled = try consumer.poll(count: 5000, timeoutMilliseconds: 1000)
            // DR watermark markers (header sluice.watermark) keep coming while idle: rows only.
            let got = polled.filter { !$0.headers.contains { $0.name == WatermarkMarker.header } }
            messages += got
            // `done` decodes every message read so far: judge only once a poll found the end of
            // what the brokers hold (a short poll), not after every 5,000 of a long backlog.
            guard polled.count < 5000 else { continue }
            if got.isEmpty && complete { break }
            complete = done(messages)
        }
        return messages.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// The end of a fault test: stops `workload`, waits until `daemon` reached the binlog's end,
    /// checks MySQL against the primary cluster (deleted accounts absent) and the topic against
    /// what MySQL committed, then stops the daemon with SIGTERM (exit 0 expected).
    func finishFaultTest(
        _ workload: MixedPaymentsWorkload, daemon: ChildProcess, file: StaticString = #filePath, line: UInt = #line
    ) throws -> (check: ConsistencyCheck, kafka: KafkaCompleteness) {
        workload.finish()
        XCTAssertNil(
            workload.error, "the workload failed: \(workload.error.map { "\($0)" } ?? "")", file: file, line: line)
        let daemonAt = try waitForDaemon(daemon)
        XCTAssertTrue(daemonAt.caughtUp, "not caught up to \(daemonAt.end): \(runLogTail())", file: file, line: line)
        let deleted = workload.deleted
        let check = try ConsistencyCheck(
            mapping: mapping, mysql: db, redis: try client(sandbox.primary),
            deletedKeys: deleted.keys.map { "account:\($0)" })
        XCTAssertTrue(check.consistent, check.summary, file: file, line: line)
        let truth = try CommittedRows(db)
        let topic = try readTopic(timeout: 120) {
            KafkaCompleteness($0, live: truth.accounts, deleted: deleted, transfers: truth.transfers).complete
        }
        let kafka = KafkaCompleteness(topic, live: truth.accounts, deleted: deleted, transfers: truth.transfers)
        XCTAssertTrue(kafka.complete, kafka.summary, file: file, line: line)
        daemon.stop(grace: 15)
        folder.forget(daemon)
        XCTAssertEqual(daemon.exitStatusIfExited(), 0, runLogTail(), file: file, line: line)
        return (check, kafka)
    }

    func runLogTail(lines: Int = 40) -> String { LogFile.tail(runLogPath, lines: lines) }
}
