import Binlog
import Foundation
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// The first `sluice run` of a deployment killed after the Redis sink's first checkpoint and
/// before the Kafka sink delivered anything (the broker frozen): restarted, Kafka still gets the
/// stream from its beginning. Every sink's start is stored before anything is applied; without
/// that, the restart resumed Kafka where Redis had got to and the topic never held the first
/// changes (DaemonKillTests and HAProcessTests found it now and then, when a first run died in
/// its first second).
final class DaemonFirstStartTests: XCTestCase {
    func testKafkaGetsTheWholeStreamAfterAFirstRunKilledBeforeItsFirstDelivery() throws {
        // Statements go to the topic too, so the Kafka sink's very first transaction (the
        // fixture's CREATE DATABASE) waits for the frozen broker: it stores no checkpoint of its own.
        let chain = try ChainFixture(
            accounts: 30, partitions: 3, kafkaSettings: ["ddl_topic = \"\(DemoConfig.topic)\""])
        defer { chain.close() }
        guard let brokerPID = chain.sandbox.kafka.pid else { return XCTFail("the broker has no pid") }
        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0.005)

        kill(brokerPID, SIGSTOP)
        defer { kill(brokerPID, SIGCONT) }
        let first = try chain.startDaemon()
        // The Redis sink moves on; the Kafka sink's checkpoint is the start stored for it: the
        // first binlog's beginning, where reading began.
        var stored: (redis: SinkCheckpoint?, kafka: SinkCheckpoint?) = (nil, nil)
        _ = try eventually(timeout: 30, interval: 0.05) {
            stored = try chain.sinkCheckpoints()
            return (stored.redis?.position.offset ?? 0) > 4 || !first.isRunning
        }
        XCTAssertTrue(first.isRunning, chain.runLogTail())
        XCTAssertNotNil(stored.kafka, "no start stored for the Kafka sink: \(chain.runLogTail())")
        if let kafkaStart = stored.kafka {
            XCTAssertEqual(kafkaStart.position.offset, 4, "\(kafkaStart)")
            XCTAssertEqual(kafkaStart.source?.serverID, 1, "the start names the server it belongs to: \(kafkaStart)")
            XCTAssertTrue(
                chain.runLogTail(lines: 200).contains("sink start stored binlog.pos=\(kafkaStart.position) sink=kafka"),
                chain.runLogTail())
        }
        chain.kill9(first)

        kill(brokerPID, SIGCONT)
        let second = try chain.startDaemon()
        let (_, kafka) = try chain.finishFaultTest(workload, daemon: second)
        XCTAssertNotEqual(
            try chain.sinkCheckpoints().kafka?.position, stored.kafka?.position, "the Kafka sink never moved")
        print(
            "DaemonFirstStartTests: Kafka start stored at \(stored.kafka.map { "\($0.position)" } ?? "none"), "
                + "the Redis sink's checkpoint at the kill \(stored.redis.map { "\($0.position)" } ?? "none"); "
                + "after the restart \(kafka.summary)")
    }
}
