import Binlog
import Foundation
import Kafka
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// Each `[kafka] format` through the whole chain: the Kafka sink produces to a real Tansu broker
/// (with tombstones and a masked column), a real third-party client (Python confluent-kafka)
/// reads the topic, and the DR applier applies it to a real DR cluster.
final class KafkaFormatChainTests: XCTestCase {
    nonisolated(unsafe) private static var sandbox: Result<DRBrokerSandbox, SandboxError>?

    override class func setUp() {
        super.setUp()
        sandbox = DRBrokerSandbox.start(label: "kafka-formats")
    }

    override class func tearDown() {
        if case .success(let s)? = sandbox { s.close() }
        sandbox = nil
        super.tearDown()
    }

    private static let columns = ["id", "balance", "pan", "at", "version"]
    private static let types = [
        ColumnDefinition(type: .long), ColumnDefinition(type: .newdecimal, metadata: 10 << 8 | 2),
        ColumnDefinition(type: .varchar, collation: 45), ColumnDefinition(type: .datetime2, metadata: 3),
        ColumnDefinition(type: .long),
    ]
    private static let pan = "4111111111111111"

    private func row(_ id: Int64, _ version: Int64) -> [ColumnValue] {
        [
            .int(id), .decimal("\(10 + version).50"), .string(Self.pan),
            .datetime(
                MySQLDateTime(
                    year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, microseconds: 123_000, fsp: 3)),
            .int(version),
        ]
    }

    private func change(_ kind: RowChange.Kind, _ id: Int64, _ version: Int64) -> RowChange {
        RowChange(
            database: "pay", table: "cards", kind: kind, columns: Self.columns,
            before: kind == .insert ? nil : row(id, version - 1), after: kind == .delete ? nil : row(id, version),
            position: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000 + id)), primaryKey: [0],
            columnTypes: Self.types)
    }

    private func mapping(_ prefix: String) throws -> TableMapping {
        guard case .success(let key) = KeyTemplate.parse(prefix + "{id}") else { throw XCTSkip("template") }
        return TableMapping(
            database: "pay", table: "cards", key: key, shape: .hash(columns: []), version: .column("version"))
    }

    /// The topic as a Python confluent-kafka consumer reads it: one JSON object per message.
    private func pythonConsume(_ broker: TansuBroker, topic: String, count: Int) throws -> [[String: Any]] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let packages = root.appendingPathComponent(".deps/py").path
        guard FileManager.default.fileExists(atPath: packages + "/confluent_kafka") else {
            throw XCTSkip("confluent-kafka is not installed in .deps/py (scripts/install-deps)")
        }
        let script = """
            import json, sys, time
            from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
            c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "format-test", "enable.auto.commit": False})
            meta = c.list_topics(sys.argv[2], timeout=10)
            c.assign([TopicPartition(sys.argv[2], p, OFFSET_BEGINNING) for p in meta.topics[sys.argv[2]].partitions])
            out, deadline = [], time.time() + 30
            while len(out) < int(sys.argv[3]) and time.time() < deadline:
                m = c.poll(0.5)
                if m is None or m.error():
                    continue
                out.append({"key": m.key().decode(), "value": None if m.value() is None else m.value().decode(),
                            "headers": {k: v.decode() for k, v in (m.headers() or [])}})
            c.close()
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, broker.bootstrapServers, topic, String(count)]
        process.environment = ["PYTHONPATH": packages, "PATH": "/usr/bin:/bin"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python consumer")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    func testEveryFormatReachesAThirdPartyConsumerAndTheDRCluster() throws {
        let services = try DRBrokerSandbox.services(Self.sandbox)
        let (dr, broker) = (services.dr, services.broker)
        let redis = try RedisClusterClient(
            topology: .cluster(seeds: dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        for format in KafkaConfig.MessageFormat.allCases {
            let topic = "fmt.\(format.rawValue)"
            try broker.createTopic(topic, partitions: 2)
            var settings = KafkaSink.Settings(
                properties: ["bootstrap.servers": broker.bootstrapServers], singleTopic: topic, format: format,
                tombstones: true)
            settings.tables["pay.cards"] = KafkaColumnRules(mask: ["pan": .keepLast(4)])
            // Each format's rows get their own keys in the DR cluster.
            let prefix = "card-\(format.rawValue):"
            let sink = KafkaSink(settings: settings, mappings: [try mapping(prefix)], logger: .events { _ in })
            defer { sink.close() }
            let origin = KafkaChangeMessage.Origin(
                serverID: 1, gtid: "0-1-5", timestamp: 1_700_000_000,
                end: BinlogPosition(file: "bin.000001", offset: 9_999))
            // Three inserts, an update of card 1, a delete of card 2 (and its tombstone).
            var messages = try sink.messages(for: (1...3).map { change(.insert, $0, 1) }, origin: origin)
            messages += try sink.messages(for: [change(.update, 1, 2), change(.delete, 2, 3)], origin: origin)
            XCTAssertEqual(messages.count, 6)
            try sink.deliver(messages)

            // A third-party client reads it; the card number never reached the broker.
            let consumed = try pythonConsume(broker, topic: topic, count: 6)
            XCTAssertEqual(consumed.count, 6, "\(format)")
            let raw = String(data: try JSONSerialization.data(withJSONObject: consumed), encoding: .utf8) ?? ""
            XCTAssertFalse(raw.contains(Self.pan), "\(format): the masked card number reached the broker")
            XCTAssertTrue(raw.contains("************1111"), "\(format)")
            XCTAssertEqual(consumed.filter { $0["value"] is NSNull }.count, 1, "\(format): one tombstone")
            let update = try XCTUnwrap(
                consumed.compactMap {
                    ($0["value"] as? String).flatMap {
                        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                    }
                }
                .first { ["u", "UPDATE", "update"].contains(($0["op"] ?? $0["type"]) as? String ?? "") })
            // Field by field against the update as the tool's documentation describes it (the
            // processing time, which differs per run, left out).
            var got = update
            got["ts_ms"] = nil
            got["ts"] = nil
            let row2 = #"{"id":1,"balance":"12.50","pan":"************1111","at":1709251198123,"version":2}"#
            let reference: String
            switch format {
            case .debezium:
                reference = #"{"before":{"id":1,"balance":"11.50","pan":"************1111","at":1709251198123,"version":1},"#
                    + #""after":\#(row2),"source":{"version":"\#(SluiceVersion.current)","connector":"mysql","#
                    + #""name":"sluice","ts_ms":1700000000000,"snapshot":"false","db":"pay","table":"cards","#
                    + #""server_id":1,"gtid":"0-1-5","file":"bin.000001","pos":2001,"row":0},"op":"u","transaction":null}"#
            case .canal:
                reference = #"{"data":[{"id":"1","balance":"12.50","pan":"************1111","at":"2024-02-29 23:59:58.123","#
                    + #""version":"2"}],"database":"pay","es":1700000000000,"gtid":"0-1-5","id":9999,"isDdl":false,"#
                    + #""mysqlType":{"id":"int","balance":"decimal(10,2)","pan":"varchar","at":"datetime(3)","version":"int"},"#
                    + #""old":[{"balance":"11.50","version":"1"}],"pkNames":["id"],"sql":"","#
                    + #""sqlType":{"id":4,"balance":3,"pan":12,"at":93,"version":4},"table":"cards","type":"UPDATE"}"#
            case .sluice:
                reference = #"{"op":"update","db":"pay","table":"cards","#
                    + #""before":{"id":1,"balance":"11.50","pan":"************1111","at":"2024-02-29 23:59:58.123","version":1},"#
                    + #""after":{"id":1,"balance":"12.50","pan":"************1111","at":"2024-02-29 23:59:58.123","version":2},"#
                    + #""source":{"server_id":1,"file":"bin.000001","pos":2001,"gtid":"0-1-5","ts":1700000000},"version":"2"}"#
            }
            let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reference.utf8)) as? NSDictionary)
            XCTAssertEqual(got as NSDictionary, expected, "\(format)")

            // The DR applier applies every format, passes over the tombstone.
            let applier = try DRApplier(
                consumerProperties: ["bootstrap.servers": broker.bootstrapServers], client: redis,
                mappings: [try mapping(prefix)],
                settings: .init(
                    topics: [topic], offsetsPrefix: "fmt-\(format.rawValue):", batchSize: 64, pollMilliseconds: 100,
                    metadataRefreshSeconds: 0.5, compacted: true),
                logger: Logger(level: .warning, format: .text, sink: { _ in }))
            XCTAssertTrue(applier.start())
            let deadline = Date().addingTimeInterval(30)
            while applier.offsets.entries.values.map(\.next).reduce(0, +) < 6, Date() < deadline { try applier.step() }
            XCTAssertEqual(applier.counters.tombstones, 1, "\(format)")
            XCTAssertEqual(applier.counters.applied, 5, "\(format)")
            let reply = try redis.send(RedisCommand("HGETALL", prefix + "1"), key: prefix + "1")
            let items = reply.elements?.compactMap(\.text) ?? []
            let fields = Dictionary(
                uniqueKeysWithValues: stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            XCTAssertEqual(
                fields,
                [
                    "id": "1", "balance": "12.50", "pan": "************1111", "at": "2024-02-29 23:59:58.123",
                    "version": "2",
                    "sluice:v": "2",
                ], "\(format)")
            XCTAssertEqual(
                try redis.send(RedisCommand("EXISTS", prefix + "2"), key: prefix + "2").int, 0, "\(format): deleted")
            XCTAssertEqual(try redis.send(RedisCommand("EXISTS", prefix + "3"), key: prefix + "3").int, 1, "\(format)")
        }
    }
}
