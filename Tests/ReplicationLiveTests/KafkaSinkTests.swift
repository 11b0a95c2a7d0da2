import Binlog
import Foundation
import Kafka
import Ops
import TestSupport
import XCTest

@testable import Replication

/// The Kafka sink: message layout (pure), and delivery against a real Tansu broker, including a
/// broker that stops answering mid-stream.
final class KafkaSinkTests: XCTestCase {
    private let origin = KafkaChangeMessage.Origin(
        serverID: 1, gtid: "0-1-42", timestamp: 1_700_000_000, end: BinlogPosition(file: "bin.000003", offset: 900))

    private func account(_ id: Int64, version: Int64, balance: String, kind: RowChange.Kind = .update) -> RowChange {
        let before: [ColumnValue]? = kind == .insert ? nil : [.int(id), .decimal(balance), .int(version - 1)]
        let after: [ColumnValue]? = kind == .delete ? nil : [.int(id), .decimal(balance), .int(version)]
        return RowChange(
            database: "pay", table: "accounts", kind: kind, columns: ["id", "balance", "version"], before: before,
            after: after, gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: 42), ordinal: 0,
            position: BinlogPosition(file: "bin.000003", offset: 700), primaryKey: [0])
    }

    private func mapping() -> TableMapping {
        guard case .success(let key) = KeyTemplate.parse("account:{id}") else { fatalError("template") }
        return TableMapping(
            database: "pay", table: "accounts", key: key, shape: .hash(columns: []), version: .column("version"))
    }

    /// A Tansu broker (needs LD_LIBRARY_PATH=.deps/lib, as scripts/test sets) with the accounts topic.
    private func startBroker(_ label: String, partitions: Int) throws -> (SandboxFolder, TansuBroker) {
        let folder = try SandboxFolder(label: label)
        do {
            let broker = try TansuBroker(in: folder, ports: PortAllocator())
            try broker.createTopic("sluice.pay.accounts", partitions: partitions)
            return (folder, broker)
        } catch {
            folder.close()
            throw error
        }
    }

    func testMessageLayout() throws {
        let sink = KafkaSink(settings: .init(properties: [:]), mappings: [mapping()], logger: .events { _ in })
        let unmapped = RowChange(
            database: "pay", table: "log", kind: .insert, columns: ["a", "b"], after: [.string("x:y"), .int(2)],
            gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: 42), ordinal: 3,
            position: BinlogPosition(file: "bin.000003", offset: 800), primaryKey: [0, 1])
        let noKey = RowChange(database: "pay", table: "nokey", kind: .delete, columns: ["a"], before: [.int(1)])
        let m = try sink.messages(for: [account(7, version: 5, balance: "10.50"), unmapped, noKey], origin: origin)
        XCTAssertEqual(m.map(\.topic), ["sluice.pay.accounts", "sluice.pay.log", "sluice.pay.nokey"])
        XCTAssertEqual(
            m.map { String(decoding: $0.key, as: UTF8.self) }, ["pay.accounts[7]", #"pay.log["x:y",2]"#, "pay.nokey"])
        XCTAssertEqual(
            String(decoding: m[0].value ?? [], as: UTF8.self),
            #"{"op":"update","db":"pay","table":"accounts","before":{"id":7,"balance":"10.50","version":4},"#
                + #""after":{"id":7,"balance":"10.50","version":5},"source":{"server_id":1,"file":"bin.000003","pos":700,"#
                + #""gtid":"0-1-42","ts":1700000000},"version":"5"}"#)
        XCTAssertTrue(
            String(decoding: m[1].value ?? [], as: UTF8.self).hasSuffix(#""version":"42000000003"}"#), "GTID-derived")
        XCTAssertTrue(String(decoding: m[2].value ?? [], as: UTF8.self).hasSuffix(#""version":null}"#), "no GTID, no mapping")
        XCTAssertEqual(
            m[0].headers.map(\.name), ["sluice.file", "sluice.pos", "sluice.end", "sluice.gtid", "sluice.version", "sluice.format"])
        XCTAssertEqual(m[0].headers.map(\.value), ["bin.000003", "700", "bin.000003:900", "0-1-42", "5", "sluice"])
        let single = KafkaSink(settings: .init(properties: [:], singleTopic: "all"), mappings: [], logger: .events { _ in })
        XCTAssertEqual(single.topic(for: unmapped), "all")
        // A halting mapping's version error is thrown, never turned into a silent null.
        var bad = account(8, version: 1, balance: "1.00")
        bad.after?[2] = .null
        XCTAssertThrowsError(try sink.messages(for: [bad], origin: origin)) {
            XCTAssertEqual(($0 as? MappingError)?.code, .badVersion)
        }
    }

    func testSettingsFromConfig() throws {
        let text = """
            [source]
            user = "u"
            server_id = 3
            [kafka]
            enabled = true
            brokers = ["127.0.0.1:9092", "10.0.0.2:9093"]
            topic_mode = "single"
            topic = "changes"
            compression = "zstd"
            """
        guard case .success(let loaded) = SluiceConfig.parse(text, file: "k.toml", directory: ".", environment: [:])
        else {
            return XCTFail("config did not load")
        }
        let s = KafkaSink.Settings(config: loaded.config.kafka)
        XCTAssertEqual(s.singleTopic, "changes")
        let p = s.producerProperties
        XCTAssertEqual(p["bootstrap.servers"], "127.0.0.1:9092,10.0.0.2:9093")
        XCTAssertEqual(p["acks"], "all")
        XCTAssertEqual(p["message.timeout.ms"], "0")
        XCTAssertEqual(p["compression.codec"], "zstd")
        XCTAssertEqual(p["security.protocol"], "plaintext")
    }

    func testDeliversInOrderAndHoldsWhileTheBrokerIsFrozen() throws {
        let (folder, broker) = try startBroker("kafka-sink", partitions: 3)
        defer { folder.close() }
        let logged = LockedList<String>()
        let sink = KafkaSink(
            settings: .init(
                properties: ["bootstrap.servers": broker.bootstrapServers], retryPauseSeconds: 0.1, holdLogSeconds: 1),
            mappings: [mapping()], logger: .events { logged.append("\($0.level.rawValue) \($0.message)") })

        // 20 accounts, 10 versions each, one transaction per version round.
        var expected: [String: [String]] = [:]
        for round in 1...10 {
            let changes = (1...20).map { account(Int64($0), version: Int64(round), balance: "\(round).00") }
            let messages = try sink.messages(for: changes, origin: origin)
            for m in messages { expected[String(decoding: m.key, as: UTF8.self), default: []].append("\(round)") }
            try sink.deliver(messages)
        }
        XCTAssertEqual(sink.counters.delivered, 200)

        // Freeze the broker: delivery holds, says so, and completes once it answers again.
        guard let pid = broker.pid else { return XCTFail("broker has no pid") }
        kill(pid, SIGSTOP)
        let frozenAt = Date()
        let resume = DispatchWorkItem { kill(pid, SIGCONT) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 3, execute: resume)
        let late = try sink.messages(
            for: (1...20).map { account(Int64($0), version: 11, balance: "11.00") }, origin: origin)
        for m in late { expected[String(decoding: m.key, as: UTF8.self), default: []].append("11") }
        try sink.deliver(late)
        XCTAssertGreaterThanOrEqual(
            Date().timeIntervalSince(frozenAt), 2.9, "deliver returned while the broker was frozen")
        kill(pid, SIGCONT)
        XCTAssertTrue(
            logged.items.contains { $0.hasPrefix("warning Kafka: holding: 20 message(s) undelivered") }, "\(logged.items)")
        // The recovery is news, not a warning (journalctl -p warning leaves it out).
        XCTAssertTrue(
            logged.items.contains { $0.hasPrefix("notice Kafka: delivering again: the held batch went through") },
            "\(logged.items)")
        XCTAssertEqual(sink.counters.delivered, 220)

        // Every change is there, once per key and version, in version order per key.
        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": broker.bootstrapServers])
        try consumer.assign(
            (0..<3).map {
                KafkaPartitionOffset(
                    topic: "sluice.pay.accounts", partition: $0, offset: KafkaPartitionOffset.beginning)
            })
        let received = try consumer.poll(count: 220, timeoutMilliseconds: 30_000)
        XCTAssertEqual(received.count, 220)
        var got: [String: [String]] = [:]
        for r in received {
            let key = String(decoding: r.key ?? [], as: UTF8.self)
            let version = r.headers.first { $0.name == "sluice.version" }?.value.map {
                String(decoding: $0, as: UTF8.self)
            }
            got[key, default: []].append(version ?? "?")
        }
        XCTAssertEqual(got, expected)
    }

    func testFatalProducerErrorMakesANewProducerAndResendsTheBatch() throws {
        let (folder, broker) = try startBroker("kafka-fatal", partitions: 1)
        defer { folder.close() }
        let made = LockedList<KafkaProducer>()
        let logged = LockedList<String>()
        let sink = KafkaSink(
            settings: .init(properties: ["bootstrap.servers": broker.bootstrapServers], retryPauseSeconds: 0.05),
            mappings: [mapping()], logger: .events { logged.append($0.message) },
            makeProducer: { (p: [String: String]) throws(KafkaError) -> KafkaProducer in
                let producer = try KafkaProducer(settings: p, idempotent: true)
                made.append(producer)
                return producer
            })
        try sink.deliver(try sink.messages(for: [account(1, version: 1, balance: "1.00")], origin: origin))
        made.items.first?.raiseFatalErrorForTesting("test: broken sequence")
        try sink.deliver(
            try sink.messages(for: (1...5).map { account(Int64($0), version: 2, balance: "2.00") }, origin: origin))
        XCTAssertEqual(made.items.count, 2, "a new producer replaced the fatal one")
        XCTAssertEqual(sink.counters.producersRecreated, 1)
        XCTAssertTrue(logged.items.contains { $0.contains("Kafka producer failed for good") }, "\(logged.items)")
        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": broker.bootstrapServers])
        try consumer.assign([
            KafkaPartitionOffset(topic: "sluice.pay.accounts", partition: 0, offset: KafkaPartitionOffset.beginning)
        ])
        let received = try consumer.poll(count: 6, timeoutMilliseconds: 20_000)
        let versions = received.map { r in
            r.headers.first { $0.name == "sluice.version" }?.value.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
        XCTAssertEqual(versions.filter { $0 == "2" }.count, 5, "every message of the resent batch arrived: \(versions)")
    }
}

extension KafkaSinkTests {
    /// A sink with `stallSeconds` 3 logging into `logged`, and a round: accounts 1-5 at one version.
    private func stallSink(_ broker: TansuBroker, _ logged: LockedList<String>) -> (KafkaSink, (Int64) throws -> Void) {
        let sink = KafkaSink(
            settings: .init(
                properties: ["bootstrap.servers": broker.bootstrapServers], retryPauseSeconds: 0.05,
                stallSeconds: 3),
            mappings: [mapping()], logger: .events { logged.append($0.message) })
        let round = { (version: Int64) throws in
            let changes = (Int64(1)...5).map { self.account($0, version: version, balance: "\(version).00") }
            try sink.deliver(try sink.messages(for: changes, origin: self.origin))
        }
        return (sink, round)
    }

    /// A broker frozen longer than `stallSeconds` answers nothing, metadata included: that is a
    /// hold, not a stuck producer. Once it answers, the batch is delivered by the same producer.
    func testFrozenBrokerLongerThanTheStallIsAHoldNotAStuckProducer() throws {
        let (folder, broker) = try startBroker("kafka-frozen-stall", partitions: 1)
        defer { folder.close() }
        let logged = LockedList<String>()
        let (sink, round) = stallSink(broker, logged)
        try round(1)
        guard let pid = broker.pid else { return XCTFail("broker has no pid") }
        kill(pid, SIGSTOP)
        let thaw = DispatchWorkItem { kill(pid, SIGCONT) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 8, execute: thaw)
        defer { kill(pid, SIGCONT) }
        try round(2)
        XCTAssertEqual(sink.counters.producersRecreated, 0, "\(logged.items)")
        XCTAssertFalse(logged.items.contains { $0.contains("is stuck") }, "\(logged.items)")
        XCTAssertEqual(sink.counters.delivered, 10)
    }

    /// A broker restarted empty on the same port (Tansu keeps everything in memory): it no longer
    /// knows the idempotent producer's id and refuses every produce with UNKNOWN_PRODUCER_ID.
    /// librdkafka bumps the epoch locally and retries forever without reporting anything (no
    /// delivery report, no fatal error), so the sink, seeing the broker answer metadata, makes a
    /// new producer and sends the batch again.
    func testBrokerRestartedEmptyGetsANewProducerAndTheBatchAgain() throws {
        let (folder, broker) = try startBroker("kafka-restart", partitions: 1)
        defer { folder.close() }
        let logged = LockedList<String>()
        let (sink, round) = stallSink(broker, logged)
        for version: Int64 in 1...3 { try round(version) }
        XCTAssertEqual(sink.counters.producersRecreated, 0)

        try broker.restart()
        try broker.createTopic("sluice.pay.accounts", partitions: 1)
        let restarted = Date()
        try round(4)
        let stuckFor = Date().timeIntervalSince(restarted)
        try round(5)
        XCTAssertEqual(sink.counters.producersRecreated, 1, "\(logged.items)")
        XCTAssertGreaterThanOrEqual(stuckFor, 3, "the batch waited stallSeconds before the new producer")
        XCTAssertTrue(
            logged.items.contains { $0.contains("Kafka producer is stuck") && $0.contains("_STALLED") },
            "\(logged.items)")

        // The new broker holds rounds 4 and 5 (1-3 went with the old one), in order per key.
        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": broker.bootstrapServers])
        try consumer.assign([
            KafkaPartitionOffset(topic: "sluice.pay.accounts", partition: 0, offset: KafkaPartitionOffset.beginning)
        ])
        var got: [String: [String]] = [:]
        for r in try consumer.poll(count: 10, timeoutMilliseconds: 20_000) {
            let version = r.headers.first { $0.name == "sluice.version" }?.value.map { String(decoding: $0, as: UTF8.self) }
            got[String(decoding: r.key ?? [], as: UTF8.self), default: []].append(version ?? "?")
        }
        XCTAssertEqual(got, Dictionary(uniqueKeysWithValues: (1...5).map { ("pay.accounts[\($0)]", ["4", "5"]) }))
    }
}
