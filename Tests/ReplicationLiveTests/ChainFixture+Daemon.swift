import Binlog
import Foundation
import Kafka
import MySQLSource
import SluiceLab
import TestSupport
import Timekeeping
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

    /// Every message of the demo topic (DR watermark markers included), all partitions, each in
    /// offset order: reads from offset 0 until `done` says the messages are complete and a further
    /// second brings nothing, or `timeout` s pass. A partition the consumer cannot read from
    /// where it is (an offset reset) throws rather than skipping ahead. A read that reaches the
    /// end of every partition (3 s without a row) incomplete is done once again by a new consumer,
    /// and says so: the second read tells a consumer that missed records from a topic that lacks
    /// them.
    func readTopic(timeout: Double = 30, done: ([KafkaMessage]) -> Bool) throws -> [KafkaMessage] {
        let deadline = Deadline(in: timeout)
        var incomplete: [String] = []
        var messages: [KafkaMessage] = []
        // Two reads at most: a third consumer would not tell more than the second.
        for _ in 0..<2 where !deadline.hasPassed {
            let read = try readTopicOnce(until: deadline, done: done)
            messages = read.messages.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
            if read.complete { break }
            incomplete.append(Self.layout(messages))
        }
        if !incomplete.isEmpty {
            print(
                "readTopic: \(incomplete.count) read(s) ended incomplete (\(incomplete.joined(separator: "; then "))); "
                    + "the last read: \(Self.layout(messages))")
        }
        return messages
    }

    /// One consumer's read from offset 0, until complete (and a further poll brings no row), or
    /// 3 polls in a row without a row after rows came while incomplete, or `deadline`.
    private func readTopicOnce(until deadline: Deadline, done: ([KafkaMessage]) -> Bool) throws -> (
        messages: [KafkaMessage], complete: Bool
    ) {
        let consumer = try KafkaConsumer(settings: [
            "bootstrap.servers": sandbox.kafka.bootstrapServers, "group.id": "daemon-faults",
            "enable.auto.commit": "false", "auto.offset.reset": "error",
        ])
        let partitions = try consumer.metadata().topic(DemoConfig.topic)?.partitionCount ?? 0
        try consumer.assign(
            (0..<partitions).map { KafkaPartitionOffset(topic: DemoConfig.topic, partition: Int32($0), offset: 0) })
        var messages: [KafkaMessage] = []
        var complete = false
        var quiet = 0
        while !deadline.hasPassed {
            let polled = try consumer.poll(count: 5000, timeoutMilliseconds: 1000)
            messages += polled
            // `done` decodes every message read so far: judge only once a poll found the end of
            // what the brokers hold (a short poll), not after every 5,000 of a long backlog. DR
            // watermark markers keep coming while idle: only rows count as news.
            guard polled.count < 5000 else { continue }
            quiet = polled.contains(where: { !$0.isWatermarkMarker }) ? 0 : quiet + 1
            if complete && quiet > 0 { break }
            complete = done(messages)
            // At the end of every partition (rows read, then 3 polls without one): incomplete.
            // A consumer still connecting has read no row yet and keeps waiting.
            if !complete && quiet >= 3 && messages.contains(where: { !$0.isWatermarkMarker }) { break }
        }
        return (messages, complete)
    }

    /// Per partition: how many offsets were read and the highest.
    private static func layout(_ messages: [KafkaMessage]) -> String {
        let byPartition = Dictionary(grouping: messages, by: \.partition)
        return byPartition.keys.sorted().map { p in
            "partition \(p): \(byPartition[p]!.count) read, up to offset \(byPartition[p]!.map(\.offset).max() ?? -1)"
        }.joined(separator: ", ")
    }

    /// The lines of the daemons' logs (every `run*.log` of the folder) and of the broker's log
    /// that mention Kafka or the producer, the last `lines` of them: what a failed completeness
    /// check shows next to the topic.
    func kafkaLogLines(lines: Int = 60) -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("run") && $0.hasSuffix(".log") }.sorted()
        var found: [String] = []
        for name in names {
            for line in LogFile.tail(folder.path + "/" + name, lines: 5000).split(separator: "\n")
            where line.localizedCaseInsensitiveContains("kafka") {
                found.append("\(name): \(line)")
            }
        }
        let broker = LogFile.tail(sandbox.kafka.logPath, lines: 5000).split(separator: "\n").filter {
            $0.contains("ERROR") || $0.contains("WARN")
        }
        return (found.suffix(lines) + broker.suffix(20).map { "tansu: \($0)" }).joined(separator: "\n")
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
        XCTAssertTrue(
            kafka.complete, kafka.complete ? "" : kafka.summary + "\n" + kafkaLogLines(), file: file, line: line)
        daemon.stop(grace: 15)
        folder.forget(daemon)
        XCTAssertEqual(daemon.exitStatusIfExited(), 0, runLogTail(), file: file, line: line)
        return (check, kafka)
    }

    func runLogTail(lines: Int = 40) -> String { LogFile.tail(runLogPath, lines: lines) }
}
