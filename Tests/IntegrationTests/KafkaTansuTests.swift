import Kafka
import TestSupport
import XCTest

final class KafkaTansuTests: XCTestCase {
    private var folder: SandboxFolder!
    private var broker: TansuBroker!

    override func setUpWithError() throws {
        folder = try SandboxFolder(label: "kafka-test")
        broker = try TansuBroker(in: folder, ports: PortAllocator())
    }

    override func tearDown() {
        folder?.close()
    }

    /// `[kafka] create_topics`: the admin API creates the missing topics with the partitions
    /// asked for, leaves an existing one as it is, and a refused request names the topic.
    func testCreateTopicsMakesOnlyTheMissingOnes() throws {
        try broker.createTopic("existing", partitions: 2)
        let settings = ["bootstrap.servers": broker.bootstrapServers]
        let created = try KafkaTopics.create(
            ["sluice.shop.items", "sluice.shop.orders", "existing"], partitions: 4, replicationFactor: 1,
            settings: settings)
        XCTAssertEqual(created.sorted(), ["sluice.shop.items", "sluice.shop.orders"])
        let metadata = try KafkaProducer(settings: settings).metadata()
        XCTAssertEqual(metadata.topic("sluice.shop.items")?.partitionCount, 4)
        XCTAssertEqual(metadata.topic("sluice.shop.orders")?.partitionCount, 4)
        XCTAssertEqual(metadata.topic("existing")?.partitionCount, 2, "an existing topic is left alone")
        XCTAssertEqual(
            try KafkaTopics.create(["sluice.shop.items"], partitions: 4, replicationFactor: 1, settings: settings), [])
        XCTAssertThrowsError(
            try KafkaTopics.create(["sluice.shop.none"], partitions: -5, replicationFactor: 1, settings: settings)
        ) { error in
            XCTAssertTrue("\(error)".contains("[topic sluice.shop.none]"), "\(error)")
        }
    }

    func testProduceAndConsumeRoundTripKeepsKeyValueAndHeaders() throws {
        try broker.createTopic("orders", partitions: 3)
        let settings = ["bootstrap.servers": broker.bootstrapServers]
        let producer = try KafkaProducer(settings: settings, idempotent: true)
        XCTAssertEqual(try producer.metadata().topic("orders")?.partitionCount, 3)

        let sent: [(key: [UInt8], value: [UInt8]?, headers: [KafkaHeader])] = [
            (
                Array("shop.items:1".utf8), Array(#"{"id":1,"name":"pen"}"#.utf8),
                [KafkaHeader("binlog.position", Array("bin.000001:4711".utf8)), KafkaHeader("empty", nil)]
            ),
            (Array("shop.items:2".utf8), [0x00, 0xff, 0x10], [KafkaHeader("version", [0, 0, 0, 7])]),
            (Array("shop.items:3".utf8), nil, []),  // a tombstone
        ]
        var ids: [UInt64] = []
        for message in sent {
            ids.append(
                try producer.produce(topic: "orders", key: message.key, value: message.value, headers: message.headers))
        }
        let pinned = try producer.produce(topic: "orders", key: Array("pinned".utf8), value: [1], partition: 2)
        XCTAssertEqual(producer.outstanding, 4)
        let reports = try producer.flush(timeoutMilliseconds: 15_000)
        XCTAssertEqual(producer.outstanding, 0)
        XCTAssertEqual(Set(reports.map(\.id)), Set(ids + [pinned]))
        for report in reports {
            XCTAssertNil(report.error, "\(report)")
            XCTAssertEqual(report.topic, "orders")
            XCTAssertGreaterThanOrEqual(report.offset, 0)
        }
        XCTAssertEqual(reports.first { $0.id == pinned }?.partition, 2)

        let consumer = try KafkaConsumer(settings: settings)
        try consumer.assign(
            (0..<3).map { KafkaPartitionOffset(topic: "orders", partition: $0, offset: KafkaPartitionOffset.beginning) }
        )
        let received = try consumer.poll(count: 4, timeoutMilliseconds: 15_000)
        XCTAssertEqual(received.count, 4)
        for message in sent {
            let got = try XCTUnwrap(received.first { $0.key == message.key }, "key \(message.key)")
            XCTAssertEqual(got.value, message.value)
            XCTAssertEqual(got.headers, message.headers)
            let report = try XCTUnwrap(reports.first { $0.partition == got.partition && $0.offset == got.offset })
            XCTAssertTrue(ids.contains(report.id))
        }
        // Same key, same partition: the partitioner is deterministic for a key.
        let again = try producer.produce(topic: "orders", key: sent[0].key, value: [2])
        let report = try XCTUnwrap(try producer.flush().first { $0.id == again })
        XCTAssertEqual(report.partition, received.first { $0.key == sent[0].key }?.partition)
    }

    func testConsumerReadsFromAnAssignedOffset() throws {
        try broker.createTopic("ledger", partitions: 1)
        let settings = ["bootstrap.servers": broker.bootstrapServers]
        let producer = try KafkaProducer(settings: settings)
        for index in 0..<5 {
            try producer.produce(topic: "ledger", key: nil, value: [UInt8(index)], partition: 0)
        }
        let offsets = try producer.flush().map(\.offset).sorted()
        XCTAssertEqual(offsets.count, 5)
        let consumer = try KafkaConsumer(settings: settings)
        try consumer.assign([KafkaPartitionOffset(topic: "ledger", partition: 0, offset: offsets[3])])
        let tail = try consumer.poll(count: 2, timeoutMilliseconds: 15_000)
        XCTAssertEqual(tail.map(\.value), [[3], [4]])
        XCTAssertEqual(tail.map(\.offset), [offsets[3], offsets[4]])
        XCTAssertEqual(tail.first?.key, nil)
    }

    func testErrorsNameTheLibrdkafkaCodeAndThePlace() throws {
        XCTAssertThrowsError(
            try KafkaProducer(settings: ["bootstrap.servers": broker.bootstrapServers, "no.such.setting": "1"])
        ) {
            let error = $0 as? KafkaError
            XCTAssertEqual(error?.name, "_INVALID_ARG")
            XCTAssertEqual(error?.context, "setting no.such.setting")
            XCTAssertEqual(error?.message, #"No such configuration property: "no.such.setting""#)
        }
        try broker.createTopic("small", partitions: 1)
        // The partition is found missing once the topic's metadata arrives; the message timeout is
        // kept well above that (a busy machine once timed the message out first).
        let producer = try KafkaProducer(settings: [
            "bootstrap.servers": broker.bootstrapServers, "message.timeout.ms": "30000",
        ])
        let id = try producer.produce(topic: "small", key: [1], value: [1], partition: 7)
        let reports = try producer.flush(timeoutMilliseconds: 40_000)
        XCTAssertEqual(reports.map(\.id), [id])
        XCTAssertEqual(reports.first?.error?.name, "_UNKNOWN_PARTITION")
        XCTAssertEqual(reports.first?.error?.context, "delivery to small[7]")
    }
}
