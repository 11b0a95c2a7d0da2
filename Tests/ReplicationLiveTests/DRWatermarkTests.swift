import Binlog
import Foundation
import Kafka
import Ops
import RedisCluster
import TestSupport
import Timekeeping
import XCTest

@testable import Replication

/// The DR watermark against a real Tansu broker and a real 3-master DR cluster: the Kafka sink's
/// markers follow the rows they count in every partition and carry the header a plain consumer
/// skips them by; the applier passes them (no row, no bad message), reaches and stores the
/// consistent point; a partition missing a counted message is a gap under `on_gap`.
final class DRWatermarkTests: XCTestCase {
    nonisolated(unsafe) private static var sandbox: Result<DRBrokerSandbox, SandboxError>?

    override class func setUp() {
        super.setUp()
        sandbox = DRBrokerSandbox.start(label: "dr-watermark")
    }

    override class func tearDown() {
        if case .success(let s)? = sandbox { s.close() }
        sandbox = nil
        super.tearDown()
    }

    private func mapping() throws -> TableMapping {
        guard case .success(let key) = KeyTemplate.parse("account:{id}") else { throw XCTSkip("template") }
        return TableMapping(
            database: "pay", table: "accounts", key: key, shape: .hash(columns: []), version: .column("version"),
            clusters: ["primary"])
    }

    private func change(_ id: Int64, version: Int64) -> RowChange {
        RowChange(
            database: "pay", table: "accounts", kind: .update, columns: ["id", "balance", "version"],
            before: [.int(id), .decimal("\(version - 1).00"), .int(version - 1)],
            after: [.int(id), .decimal("\(version).00"), .int(version)],
            position: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000)), primaryKey: [0])
    }

    private func checkpoint(_ version: Int64) -> SinkCheckpoint {
        SinkCheckpoint(
            position: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000 + 999)),
            gtid: MariaDBGTIDPosition(parsing: "0-1-\(version)"),
            commitTime: 1_700_000_000 + version)
    }

    private func origin(_ version: Int64) -> KafkaChangeMessage.Origin {
        .init(
            serverID: 1, gtid: "0-1-\(version)", timestamp: UInt32(1_700_000_000 + version),
            end: checkpoint(version).position)
    }

    private func applier(_ s: DRBrokerSandbox, topic: String, prefix: String, onGap: DRApplier.GapPolicy = .halt) throws
        -> DRApplier
    {
        let client = try RedisClusterClient(
            topology: .cluster(seeds: s.dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        return try DRApplier(
            consumerProperties: ["bootstrap.servers": s.broker.bootstrapServers], client: client,
            mappings: [try mapping()],
            settings: .init(
                topics: [topic], offsetsPrefix: prefix, batchSize: 64, pollMilliseconds: 100,
                metadataRefreshSeconds: 0.5,
                onGap: onGap),
            logger: Logger(level: .info, format: .text, sink: { _ in }))
    }

    func testMarkersFollowTheirRowsInEveryPartitionAndTheApplierReachesTheWatermark() throws {
        let s = try DRBrokerSandbox.services(Self.sandbox)
        let topic = "wm.rows"
        try s.broker.createTopic(topic, partitions: 3)
        let sink = KafkaSink(
            settings: .init(properties: ["bootstrap.servers": s.broker.bootstrapServers], singleTopic: topic),
            mappings: [try mapping()], logger: .events { _ in })
        try sink.deliver(try sink.messages(for: (1...12).map { change($0, version: 1) }, origin: origin(1)))
        XCTAssertEqual(
            try sink.writeWatermark(checkpoint(1), asOfMilliseconds: 1_700_000_001_500), 3, "one per partition")
        try sink.deliver(try sink.messages(for: (1...12).map { change($0, version: 2) }, origin: origin(2)))
        XCTAssertEqual(try sink.writeWatermark(checkpoint(2), asOfMilliseconds: 1_700_000_002_500), 3)
        sink.close()

        // A plain consumer: 24 rows and 6 markers, each marker marked by its header.
        let consumer = try KafkaConsumer(settings: [
            "bootstrap.servers": s.broker.bootstrapServers, "group.id": "wm-plain", "enable.auto.commit": "false",
        ])
        try consumer.assign((0..<3).map { KafkaPartitionOffset(topic: topic, partition: Int32($0), offset: 0) })
        var all: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(20)
        while all.count < 30, Date() < deadline { all += try consumer.poll(count: 30, timeoutMilliseconds: 500) }
        XCTAssertEqual(all.count, 30)
        for partition in Int32(0)..<3 {
            let messages = all.filter { $0.partition == partition }.sorted { $0.offset < $1.offset }
            let markerIndices = messages.indices.filter {
                messages[$0].headers.contains { $0.name == "sluice.watermark" && $0.value == Array("1".utf8) }
            }
            XCTAssertEqual(markerIndices.count, 2, "partition \(partition)")
            XCTAssertEqual(markerIndices.last, messages.count - 1, "the last marker follows every row")
            guard markerIndices.count == 2 else { continue }
            let first = try XCTUnwrap(WatermarkMarker(json: messages[markerIndices[0]].value ?? []))
            let second = try XCTUnwrap(WatermarkMarker(json: messages[markerIndices[1]].value ?? []))
            XCTAssertNil(first.count, "a session's first marker cannot vouch for what came before it")
            XCTAssertEqual(second.count, markerIndices[1] - markerIndices[0] - 1, "rows between the markers")
            XCTAssertEqual(second.checkpoint, checkpoint(2))
            XCTAssertEqual(second.partition, partition)
            XCTAssertEqual(second.asOfMilliseconds, 1_700_000_002_500)
            XCTAssertEqual(first.session, second.session)
        }

        let a = try applier(s, topic: topic, prefix: "wm-rows:")
        XCTAssertTrue(a.start())
        let until = Date().addingTimeInterval(30)
        while a.watermark?.checkpoint != checkpoint(2), Date() < until { try a.step() }
        XCTAssertEqual(a.watermark, DRWatermarkPoint(checkpoint: checkpoint(2), asOfMilliseconds: 1_700_000_002_500))
        XCTAssertEqual(a.counters.gaps, 0)
        XCTAssertEqual(a.counters.messages, 24, "markers are not rows")
        let stored = try DROffsets.load(from: a.applier.client, key: a.offsetsKey)
        XCTAssertEqual(stored.watermark, a.watermark, "stored beside the offsets")
        XCTAssertEqual(stored.entries.values.map(\.next).reduce(0, +), 30)
        let account = try a.applier.client.send(RedisCommand("HGET", "account:7", "balance"), key: "account:7")
        XCTAssertEqual(account.text, "2.00")
    }

    /// One partition's contents as the applier reads them: rows and markers at consecutive
    /// offsets from 0 (a partition rewritten without a message shows no hole in its offsets).
    private func partition(_ topic: String, _ items: [WatermarkMarker?]) -> [KafkaMessage] {
        var id: Int64 = 0
        return items.enumerated().map { offset, marker in
            let m: KafkaChangeMessage
            if let marker {
                m = marker.message(topic: topic)
            } else {
                id += 1
                m = KafkaChangeMessage(
                    change: change(500 + id, version: 1), origin: origin(1), version: "1", topic: topic)
            }
            return KafkaMessage(
                topic: topic, partition: 0, offset: Int64(offset), key: m.key, value: m.value,
                headers: m.headers.map { KafkaHeader($0.name, Array($0.value.utf8)) })
        }
    }

    private func marker(round: Int64, count: Int?, _ version: Int64) -> WatermarkMarker {
        WatermarkMarker(
            session: "s1", round: round, partition: 0, count: count, checkpoint: checkpoint(version),
            asOfMilliseconds: 1_700_000_000_000 + version * 1000)
    }

    func testAPartitionMissingACountedMessageIsAGap() throws {
        let s = try DRBrokerSandbox.services(Self.sandbox)
        // The second marker counts 3 rows since the first; the partition holds 2 of them.
        let batch = partition(
            "wm.lost", [marker(round: 1, count: nil, 1), nil, nil, marker(round: 2, count: 3, 2), nil])
        let halting = try applier(s, topic: "wm.none", prefix: "wm-halt:")
        XCTAssertTrue(halting.start())
        halting.assigned = [DROffsets.Partition(topic: "wm.lost", partition: 0)]
        XCTAssertThrowsError(try halting.applyBatch(batch, shouldStop: { false })) {
            let e = $0 as? DRError
            XCTAssertEqual(e?.code, .gap)
            XCTAssertEqual(e?.place, "wm.lost[0]@3")
            XCTAssertTrue(e?.message.contains("1 message(s) missing") ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("counts 3 message(s)") ?? false, "\(String(describing: e))")
            XCTAssertTrue(e?.message.contains("held 2") ?? false, "\(String(describing: e))")
        }
        XCTAssertEqual(halting.counters.gaps, 1)
        XCTAssertEqual(halting.watermark?.checkpoint, checkpoint(1), "the watermark stays before the gap")
        let stored = try DROffsets.load(from: halting.applier.client, key: halting.offsetsKey)
        XCTAssertEqual(
            stored.entries[DROffsets.Partition(topic: "wm.lost", partition: 0)]?.next, 3, "stopped at the marker")
        XCTAssertEqual(stored.watermark?.checkpoint, checkpoint(1))

        let alerting = try applier(s, topic: "wm.none", prefix: "wm-alert:", onGap: .alert)
        XCTAssertTrue(alerting.start())
        alerting.assigned = [DROffsets.Partition(topic: "wm.lost", partition: 0)]
        try alerting.applyBatch(batch, shouldStop: { false })
        XCTAssertEqual(alerting.counters.gaps, 1)
        XCTAssertEqual(alerting.counters.missingMessages, 1)
        XCTAssertEqual(alerting.watermark?.checkpoint, checkpoint(2), "alert goes on past it")

        // The complete partition passes, and a marker produced twice (redelivery) is no gap.
        let whole = partition(
            "wm.whole",
            [
                marker(round: 1, count: nil, 1), nil, nil, nil, marker(round: 2, count: 3, 2),
                marker(round: 2, count: 3, 2), nil,
                marker(round: 3, count: 1, 3),
            ])
        let clean = try applier(s, topic: "wm.none", prefix: "wm-clean:")
        XCTAssertTrue(clean.start())
        clean.assigned = [DROffsets.Partition(topic: "wm.whole", partition: 0)]
        try clean.applyBatch(whole, shouldStop: { false })
        XCTAssertEqual(clean.counters.gaps, 0)
        XCTAssertEqual(clean.watermark?.checkpoint, checkpoint(3))
    }

    /// The counts chain within one session, are not checked on compacted topics, and the
    /// consistent point is the oldest newest-marker over the partitions (none while one has none).
    func testCountRulesAndTheConsistentPoint() {
        var e = DROffsets.Entry(next: 0, commitTime: 0)
        XCTAssertEqual(
            e.pass(marker(round: 1, count: 5, 1), compacted: false), .passed, "no previous marker: unchecked")
        e.passMessage()
        var other = marker(round: 1, count: 7, 2)
        other.session = "s2"
        XCTAssertEqual(e.pass(other, compacted: false), .passed, "a new session's count is not checked")
        XCTAssertEqual(e.pass(marker(round: 1, count: 9, 3), compacted: false), .passed, "session changed back")
        XCTAssertEqual(e.pass(marker(round: 2, count: 2, 4), compacted: false), .mismatch(counted: 2, found: 0))
        XCTAssertEqual(e.pass(marker(round: 2, count: 2, 4), compacted: true), .passed, "compaction removes messages")
        XCTAssertEqual(e.pass(marker(round: 2, count: 0, 4), compacted: false), .repeated)

        let a = DROffsets.Partition(topic: "t", partition: 0)
        let b = DROffsets.Partition(topic: "t", partition: 1)
        var offsets = DROffsets(entries: [
            a: DROffsets.Entry(next: 1, commitTime: 0, mark: marker(round: 3, count: 0, 3))
        ])
        XCTAssertNil(offsets.watermark(over: [a, b]), "partition 1 has passed no marker")
        offsets.entries[b] = DROffsets.Entry(next: 1, commitTime: 0, mark: marker(round: 2, count: 0, 2))
        XCTAssertEqual(
            offsets.watermark(over: [a, b]),
            DRWatermarkPoint(checkpoint: checkpoint(2), asOfMilliseconds: 1_700_000_002_000))
    }

    /// The Kafka sink's round clock: no round (and no timed wait) before there is a checkpoint;
    /// `as_of` is the source's caught-up time only once everything handed out by then is delivered.
    func testWatermarkClockDueAndAsOf() {
        let t0 = MonotonicInstant(seconds: 1_800)
        var clock = KafkaWatermarkClock(interval: 0.5, start: nil, now: t0)
        XCTAssertNil(clock.deadline, "nothing to mark: wait for a batch, do not spin")
        XCTAssertFalse(clock.isDue(now: t0.advanced(by: 5)))
        clock.delivered(checkpoint(1), through: 3)
        XCTAssertEqual(clock.deadline, t0)
        XCTAssertTrue(clock.isDue(now: t0))
        clock.wrote(now: t0)
        XCTAssertFalse(clock.isDue(now: t0.advanced(by: 0.4)))
        XCTAssertTrue(clock.isDue(now: t0.advanced(by: 0.5)))
        XCTAssertEqual(clock.asOfMilliseconds(sourceCurrent: nil), 1_700_000_001_000, "the commit time")
        XCTAssertEqual(
            clock.asOfMilliseconds(sourceCurrent: (3, 1_700_000_009.25)), 1_700_000_009_250, "caught up, delivered")
        XCTAssertEqual(
            clock.asOfMilliseconds(sourceCurrent: (4, 1_700_000_009.25)), 1_700_000_001_000,
            "ticket 4 not delivered yet")
        clock.delivered(nil, through: 4)
        XCTAssertEqual(clock.checkpoint, checkpoint(1), "a chunk keeps the last checkpoint")
    }
}
