import Binlog
import Foundation
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

#if canImport(Glibc)
    import Glibc
#endif

/// The Kafka broker unavailable for 30 s in the middle of the stream, against the built `sluice
/// run` binary. Tansu keeps topics only in memory, so a real stop would lose them: the broker is
/// frozen with SIGSTOP (connections stay open, nothing is answered) and thawed with SIGCONT.
/// The daemon holds (the Kafka checkpoint stays, the source is not read once the queue is full,
/// the lag grows), says why in one log line, shows it in its metrics, and catches up by itself.
final class DaemonBrokerTests: XCTestCase {
    func testBrokerFrozenThirtySecondsHoldsThenCatchesUp() throws {
        let started = Date()
        let chain = try ChainFixture(accounts: 40, partitions: 3)
        defer { chain.close() }
        // A smaller queue than the default 1,024 transactions: the source is held within seconds.
        let config = try String(contentsOfFile: chain.runConfigPath, encoding: .utf8)
        try (config + "\n[daemon]\nqueue_capacity = 128\n").write(
            toFile: chain.runConfigPath, atomically: true, encoding: .utf8)
        guard let brokerPID = chain.sandbox.kafka.pid else { return XCTFail("the broker has no pid") }

        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0.005)
        let child = try chain.startDaemon()
        defer { kill(brokerPID, SIGCONT) }
        XCTAssertTrue(
            try chain.waitUntilReached(try chain.masterPosition(), daemon: child, timeout: 30),
            "the daemon did not start streaming: \(chain.runLogTail())")
        Thread.sleep(forTimeInterval: 2)

        // Freeze the broker for 30 s.
        let logBefore = LogFile.size(chain.runLogPath)
        kill(brokerPID, SIGSTOP)
        let frozenAt = Date()
        Thread.sleep(forTimeInterval: 3)
        let early = try chain.sinkCheckpoints()
        Thread.sleep(forTimeInterval: max(0, 29 - Date().timeIntervalSince(frozenAt)))
        let late = try chain.sinkCheckpoints()
        let scrape = try MetricsScrape(port: chain.runMetricsPort, folder: chain.folder)
        let frozenLog = LogFile.read(chain.runLogPath, from: logBefore)
        let target = try chain.masterPosition()
        Thread.sleep(forTimeInterval: max(0, 30 - Date().timeIntervalSince(frozenAt)))
        kill(brokerPID, SIGCONT)
        let frozenSeconds = Date().timeIntervalSince(frozenAt)
        XCTAssertTrue(child.isRunning, "the daemon ended while the broker was frozen: \(chain.runLogTail())")

        // Held: the Kafka checkpoint did not move, and the metrics say where and how long.
        XCTAssertEqual(late.kafka, early.kafka, "the Kafka checkpoint moved while the broker was frozen")
        let kafkaBlocked = scrape.value(#"sluice_sink_blocked_seconds{sink="kafka"}"#) ?? 0
        let redisBlocked = scrape.value(#"sluice_sink_blocked_seconds{sink="redis.primary"}"#) ?? 99
        let lag = scrape.value("sluice_source_lag_seconds") ?? 0
        let kafkaAge = scrape.value(#"sluice_checkpoint_age_seconds{sink="kafka"}"#) ?? 0
        let undelivered = scrape.value("sluice_kafka_queue_depth") ?? 0
        XCTAssertGreaterThan(kafkaBlocked, 20, scrape.text)
        XCTAssertLessThan(redisBlocked, 5, "the Redis sink itself keeps up: \(scrape.text)")
        XCTAssertGreaterThan(lag, 10, "the source lag grows while the daemon holds: \(scrape.text)")
        XCTAssertGreaterThan(kafkaAge, 20, scrape.text)
        XCTAssertGreaterThan(undelivered, 0, scrape.text)
        // The log says why, once (librdkafka's own lines aside).
        let holding = frozenLog.split(separator: "\n").filter { $0.contains("Kafka: holding") }
        XCTAssertEqual(holding.count, 1, frozenLog)
        XCTAssertLessThan(frozenLog.split(separator: "\n").count, 10, "a flood of log lines: \(frozenLog)")

        // Thawed: the daemon catches up by itself to where the binlog was at SIGCONT.
        let thawedAt = Date()
        XCTAssertTrue(
            try chain.waitUntilReached(target, daemon: child, timeout: 60), "no catch-up: \(chain.runLogTail())")
        let catchUpSeconds = Date().timeIntervalSince(thawedAt)
        XCTAssertTrue(
            LogFile.read(chain.runLogPath, from: logBefore).contains("Kafka: delivering again"), chain.runLogTail())

        let (check, kafka) = try chain.finishFaultTest(workload, daemon: child)
        print(
            "DaemonBrokerTests: broker frozen \(Int(frozenSeconds)) s; at the end of the freeze kafka held "
                + "\(Int(kafkaBlocked)) s, \(Int(undelivered)) message(s) undelivered, source lag \(Int(lag)) s, "
                + "\(holding.count) holding line; caught up \(String(format: "%.1f", catchUpSeconds)) s after SIGCONT; "
                + "\(workload.committed.values.reduce(0, +)) transactions, \(check.rowsChecked) rows equal, "
                + "Kafka \(kafka.summary); \(Int(Date().timeIntervalSince(started))) s in all")
    }
}
