import Binlog
import Foundation
import Kafka
import Ops
import RedisCluster
import TestSupport
import Timekeeping
import XCTest

@testable import Replication

/// The DR applier against a real Tansu broker and a real 3-master DR cluster: apply, resume from
/// the stored offsets, replays refused by version, gaps reported, metrics counted.
final class DRApplierTests: XCTestCase {
    nonisolated(unsafe) private static var sandbox: Result<DRBrokerSandbox, SandboxError>?

    override class func setUp() {
        super.setUp()
        sandbox = DRBrokerSandbox.start(label: "dr-apply")
    }

    override class func tearDown() {
        if case .success(let s)? = sandbox { s.close() }
        sandbox = nil
        super.tearDown()
    }

    private typealias Services = DRBrokerSandbox

    private func services() throws -> Services { try DRBrokerSandbox.services(Self.sandbox) }

    private func mapping() throws -> TableMapping {
        guard case .success(let key) = KeyTemplate.parse("account:{id}") else { throw XCTSkip("template") }
        return TableMapping(
            database: "pay", table: "accounts", key: key, shape: .hash(columns: []),
            version: .column("version"), clusters: ["primary"])
    }

    private func client(_ s: Services) throws -> RedisClusterClient {
        try RedisClusterClient(topology: .cluster(seeds: s.dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
    }

    private func change(_ id: Int64, version: Int64) -> RowChange {
        RowChange(
            database: "pay", table: "accounts", kind: .update, columns: ["id", "balance", "version"],
            before: [.int(id), .decimal("\(version - 1).00"), .int(version - 1)],
            after: [.int(id), .decimal("\(version).00"), .int(version)],
            position: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000 + id)), primaryKey: [0])
    }

    private func origin(_ version: Int64, time: UInt32 = 1_700_000_000) -> KafkaChangeMessage.Origin {
        .init(
            serverID: 1, gtid: nil, timestamp: time,
            end: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000 + 999)))
    }

    /// Produces one transaction per version: every account moves to that version.
    private func produce(_ s: Services, topic: String, accounts: ClosedRange<Int64>, versions: ClosedRange<Int64>)
        throws
    {
        let sink = KafkaSink(
            settings: .init(properties: ["bootstrap.servers": s.broker.bootstrapServers], singleTopic: topic),
            mappings: [try mapping()], logger: .events { _ in })
        var messages: [KafkaChangeMessage] = []
        for v in versions {
            messages += try sink.messages(for: accounts.map { change($0, version: v) }, origin: origin(v))
        }
        try sink.deliver(messages)
    }

    private func applier(
        _ s: Services, topic: String, prefix: String, onGap: DRApplier.GapPolicy = .halt,
        metrics: DRMetrics? = nil, log: LockedBox<[String]>? = nil, compacted: Bool = false
    ) throws -> DRApplier {
        try DRApplier(
            consumerProperties: ["bootstrap.servers": s.broker.bootstrapServers], client: try client(s),
            mappings: [try mapping()],
            settings: .init(
                topics: [topic], offsetsPrefix: prefix, batchSize: 64, pollMilliseconds: 100,
                metadataRefreshSeconds: 0.5, onGap: onGap, compacted: compacted),
            logger: Logger(level: .info, format: .text, sink: { line in log?.set((log?.get() ?? []) + [line]) }),
            metrics: metrics)
    }

    /// Steps until `done` holds (or 30 s pass).
    private func drive(_ a: DRApplier, until done: (DRApplier) -> Bool) throws {
        XCTAssertTrue(a.start())
        let deadline = Date().addingTimeInterval(30)
        while !done(a), Date() < deadline { try a.step() }
        XCTAssertTrue(done(a), "timed out: \(a.counters)")
    }

    private func storedTotal(_ a: DRApplier) -> Int64 { a.offsets.entries.values.map(\.next).reduce(0, +) }

    func testAppliesResumesFromStoredOffsetsAndRefusesReplays() throws {
        let s = try services()
        let topic = "dr.t1"
        try s.broker.createTopic(topic, partitions: 3)
        try produce(s, topic: topic, accounts: 1...20, versions: 1...10)
        let registry = MetricsRegistry()
        try registry.declare(SluiceMetrics.all)
        let metrics = DRMetrics(
            registry: registry, cluster: "dr", clock: ManualClock(wall: Date(timeIntervalSince1970: 1_700_000_030)))
        let first = try applier(s, topic: topic, prefix: "t1:", metrics: metrics)
        try drive(first) { self.storedTotal($0) == 200 }
        XCTAssertEqual(first.counters.applied, 200)
        XCTAssertEqual(first.counters.staleRefused, 0)
        XCTAssertEqual(first.lastCommitTime, 1_700_000_000)
        // The producer's timestamps (librdkafka's create time): produced during this test.
        let nowMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        XCTAssertGreaterThan(first.lastProducedMilliseconds, nowMilliseconds - 120_000)
        XCTAssertLessThanOrEqual(first.lastProducedMilliseconds, nowMilliseconds)
        let redis = try client(s)
        for id in 1...20 {
            let reply = try redis.send(RedisCommand("HGETALL", "account:\(id)"), key: "account:\(id)")
            let items = reply.elements?.compactMap(\.text) ?? []
            XCTAssertEqual(
                Dictionary(
                    uniqueKeysWithValues: stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }),
                ["id": "\(id)", "balance": "10.00", "version": "10", "sluice:v": "10"], "account \(id)")
        }
        // The stored offsets are what a new applier starts from.
        let stored = try DROffsets.load(from: redis, key: first.offsetsKey)
        XCTAssertEqual(stored, first.offsets)
        XCTAssertEqual(stored.entries.count, 3)
        XCTAssertEqual(stored.entries.values.map(\.commitTime), [1_700_000_000, 1_700_000_000, 1_700_000_000])
        // Metrics: the known workload, the lag against the injected clock, nothing behind.
        try first.updateEnds()
        metrics.update(first)
        XCTAssertEqual(first.messagesBehind, 0)
        let text = registry.render()
        XCTAssertTrue(text.contains(#"sluice_sink_rows_applied_total{db="pay",sink="dr",table="accounts"} 200"#), text)
        XCTAssertTrue(text.contains(#"sluice_sink_stale_writes_total{db="pay",sink="dr",table="accounts"} 0"#), text)
        XCTAssertTrue(text.contains(#"sluice_dr_lag_seconds{cluster="dr"} 30"#), text)
        XCTAssertTrue(text.contains(#"sluice_dr_messages_behind{cluster="dr"} 0"#), text)
        XCTAssertTrue(text.contains(#"sluice_sink_batches_total{sink="dr"} \#(first.counters.batches)"#), text)
        XCTAssertGreaterThanOrEqual(first.counters.batches, 4, "200 messages in batches of at most 64")

        // Resume: only the new messages are read.
        try produce(s, topic: topic, accounts: 1...20, versions: 11...11)
        let second = try applier(s, topic: topic, prefix: "t1:")
        try drive(second) { self.storedTotal($0) == 220 }
        XCTAssertEqual(second.counters.messages, 20)
        XCTAssertEqual(second.counters.applied, 20)

        // Offsets lost: everything is read again, and every write is refused by version.
        _ = try redis.send(RedisCommand("DEL", first.offsetsKey), key: first.offsetsKey)
        let third = try applier(s, topic: topic, prefix: "t1:")
        try drive(third) { self.storedTotal($0) == 220 }
        XCTAssertEqual(third.counters.applied, 0)
        XCTAssertEqual(third.counters.staleRefused, 220)
        let balance = try redis.send(RedisCommand("HGET", "account:7", "balance"), key: "account:7")
        XCTAssertEqual(balance.text, "11.00")
    }

    private func messages(topic: String, offsets: [Int64]) throws -> [KafkaMessage] {
        try offsets.map { offset in
            let m = KafkaChangeMessage(
                change: change(100 + offset, version: 1), origin: origin(1), version: "1", topic: topic)
            return KafkaMessage(
                topic: topic, partition: 0, offset: offset, key: m.key, value: m.value,
                headers: m.headers.map { KafkaHeader($0.name, Array($0.value.utf8)) })
        }
    }

    func testAGapHaltsAfterApplyingWhatCameBeforeIt() throws {
        let s = try services()
        let a = try applier(s, topic: "dr.none", prefix: "gap-halt:")
        XCTAssertTrue(a.start())
        XCTAssertThrowsError(try a.applyBatch(try messages(topic: "dr.g", offsets: [0, 1, 3]), shouldStop: { false })) {
            let e = $0 as? DRError
            XCTAssertEqual(e?.code, .gap)
            XCTAssertEqual(e?.place, "dr.g[0]@3")
            XCTAssertTrue(
                e?.message.contains("1 message(s) missing: offsets 2..<3") ?? false, "\(String(describing: e))")
        }
        XCTAssertEqual(a.offsets.entries[DROffsets.Partition(topic: "dr.g", partition: 0)]?.next, 2)
        XCTAssertEqual(a.counters.gaps, 1)
        let redis = try client(s)
        XCTAssertEqual(try redis.send(RedisCommand("EXISTS", "account:101"), key: "account:101").int, 1)
        XCTAssertEqual(
            try redis.send(RedisCommand("EXISTS", "account:103"), key: "account:103").int, 0, "nothing past the gap")
        let stored = try DROffsets.load(from: redis, key: a.offsetsKey)
        XCTAssertEqual(stored.entries[DROffsets.Partition(topic: "dr.g", partition: 0)]?.next, 2)
    }

    func testAGapUnderAlertIsCountedAndPassed() throws {
        let s = try services()
        let a = try applier(s, topic: "dr.none", prefix: "gap-alert:", onGap: .alert)
        XCTAssertTrue(a.start())
        try a.applyBatch(try messages(topic: "dr.h", offsets: [0, 4, 5]), shouldStop: { false })
        XCTAssertEqual(a.counters.gaps, 1)
        XCTAssertEqual(a.counters.missingMessages, 3)
        XCTAssertEqual(a.offsets.entries[DROffsets.Partition(topic: "dr.h", partition: 0)]?.next, 6)
    }

    /// Compacted topics (`[kafka] tombstones = true`): holes are compaction, not gaps, and a
    /// tombstone (no value) is passed over.
    func testHolesInACompactedTopicAreNotGaps() throws {
        let s = try services()
        let a = try applier(s, topic: "dr.none", prefix: "compacted:", compacted: true)
        XCTAssertTrue(a.start())
        var batch = try messages(topic: "dr.c", offsets: [0, 4, 5])
        batch.append(KafkaMessage(topic: "dr.c", partition: 0, offset: 6, key: batch[2].key, value: nil, headers: []))
        try a.applyBatch(batch, shouldStop: { false })
        XCTAssertEqual(a.counters.gaps, 0)
        XCTAssertEqual(a.counters.compactedOffsets, 3)
        XCTAssertEqual(a.counters.tombstones, 1)
        XCTAssertEqual(a.counters.applied + a.counters.staleRefused, 3, "the three rows reached the apply")
        XCTAssertEqual(a.offsets.entries[DROffsets.Partition(topic: "dr.c", partition: 0)]?.next, 7)
    }

    /// A stored offset past the partition's end: the topic was recreated, so the new messages
    /// below the stored offset would be skipped. Reported, never passed over silently.
    func testAStoredOffsetPastThePartitionEndIsAGap() throws {
        let s = try services()
        let topic = "dr.t2"
        try s.broker.createTopic(topic, partitions: 1)
        try produce(s, topic: topic, accounts: 300...304, versions: 1...1)
        let redis = try client(s)
        let a = try applier(s, topic: topic, prefix: "t2:")
        _ = try redis.send(
            RedisCommand("HSET", a.offsetsKey, "\(topic)|0", "1000", "\(topic)|0|time", "5"), key: a.offsetsKey)
        XCTAssertTrue(a.start())
        var thrown: Error?
        let deadline = Date().addingTimeInterval(10)
        while thrown == nil, Date() < deadline {
            do { try a.step() } catch { thrown = error }
        }
        let e = thrown as? DRError
        XCTAssertEqual(e?.code, .gap)
        XCTAssertTrue(e?.message.contains("past the partition's end 5") ?? false, "\(String(describing: e))")
        XCTAssertEqual(a.counters.messages, 0, "nothing applied")
    }

    /// `sluice status` with only a DR applier configured: lagging before the applier ran (exit 3),
    /// caught up after (exit 0), and an unreachable DR cluster shown as UNKNOWN (exit 3).
    func testStatusLaggingCaughtUpAndUnreachable() throws {
        let s = try services()
        let executable = try BuiltBinary.path()
        let folder = s.folder
        let topic = "dr.status"
        try s.broker.createTopic(topic, partitions: 2)
        try produce(s, topic: topic, accounts: 500...514, versions: 1...2)
        func config(seeds: [Int]) throws -> String {
            let path = folder.path + "/status-\(seeds.first ?? 0).toml"
            try """
            [redis.dr]
            seeds = [\(seeds.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            mode = "cluster"
            connect_timeout_ms = 500

            [kafka]
            brokers = ["\(s.broker.bootstrapServers)"]

            [dr_apply]
            topics = ["\(topic)"]

            [lag]
            max_seconds = 60
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let good = try config(seeds: s.dr.ports)
        func status(_ path: String, json: Bool = false) throws -> (status: Int32, output: String) {
            try folder.run(
                service: "status", executable: executable,
                arguments: ["status", "--config", path] + (json ? ["--json"] : []),
                workingDirectory: folder.path, logPath: folder.path + "/status.log", timeout: 30)
        }
        var r = try status(good)
        XCTAssertEqual(r.status, 3, r.output)
        XCTAssertTrue(r.output.contains("dr.dr"), r.output)
        XCTAssertTrue(r.output.contains("LAGGING"), r.output)
        XCTAssertTrue(r.output.contains("0 of 30 messages"), r.output)

        let a = try applier(s, topic: topic, prefix: "sluice:dr:offsets:")
        try drive(a) { self.storedTotal($0) == 30 }
        r = try status(good, json: true)
        XCTAssertEqual(r.status, 0, r.output)
        let line = r.output.split(separator: "\n").first { $0.hasPrefix("{") }.map(String.init) ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        XCTAssertEqual(object?["ok"] as? Bool, true, line)
        let dr = (object?["components"] as? [[String: Any]])?.first
        XCTAssertEqual(dr?["component"] as? String, "dr.dr")
        XCTAssertEqual(dr?["state"] as? String, "ok")
        XCTAssertEqual(dr?["messages"] as? Int, 0)
        XCTAssertEqual(dr?["seconds"] as? Double, 0)

        let closed = try PortAllocator().pick()
        r = try status(try config(seeds: [closed]))
        XCTAssertEqual(r.status, 3, r.output)
        XCTAssertTrue(r.output.contains("UNKNOWN (DR cluster unreachable"), r.output)
    }

    /// The DR cluster down (a master killed, so the cluster refuses writes): the applier holds the
    /// batch, says why in the log, and applies it once the node is back (its function library
    /// loaded again if the restart lost it).
    func testHoldsThroughADRClusterOutageAndCatchesUp() throws {
        let s = try services()
        let topic = "dr.outage"
        try s.broker.createTopic(topic, partitions: 2)
        try produce(s, topic: topic, accounts: 700...719, versions: 1...3)
        let port = try s.dr.masterPorts()[1]
        s.dr.crashNode(port)
        let restarted = DispatchSemaphore(value: 0)
        let restartError = LockedBox<String?>(nil)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 2)
            do { try s.dr.restartNode(port) } catch { restartError.set("\(error)") }
            restarted.signal()
        }
        let log = LockedBox<[String]>([])
        let a = try applier(s, topic: topic, prefix: "outage:", log: log)
        let deadline = Date().addingTimeInterval(40)
        if a.start() {
            while storedTotal(a) < 60, Date() < deadline { try a.step() }
        }
        XCTAssertEqual(restarted.wait(timeout: .now() + 30), .success)
        XCTAssertNil(restartError.get())
        XCTAssertEqual(storedTotal(a), 60)
        XCTAssertEqual(a.counters.applied, 60)
        let lines = log.get().joined()
        XCTAssertTrue(lines.contains("holding"), lines)
        let redis = try client(s)
        for id in 700...719 {
            XCTAssertEqual(
                try redis.send(RedisCommand("HGET", "account:\(id)", "version"), key: "account:\(id)").text, "3")
        }
    }

    /// Partitions that appear while the applier runs (here: a whole topic created later) are found
    /// by the metadata refresh and read from their beginning; the lag metric counts them meanwhile.
    func testPartitionsAppearingLaterAreAssigned() throws {
        let s = try services()
        let existing = "dr.first"
        let later = "dr.later"
        try s.broker.createTopic(existing, partitions: 1)
        try produce(s, topic: existing, accounts: 800...804, versions: 1...1)
        let a = try DRApplier(
            consumerProperties: ["bootstrap.servers": s.broker.bootstrapServers], client: try client(s),
            mappings: [try mapping()],
            settings: .init(
                topics: [existing, later], offsetsPrefix: "later:", batchSize: 64,
                pollMilliseconds: 100, metadataRefreshSeconds: 0.3),
            logger: Logger(level: .error, format: .text, sink: { _ in }))
        try drive(a) { self.storedTotal($0) == 5 }
        XCTAssertEqual(a.assigned.count, 1)
        try s.broker.createTopic(later, partitions: 2)
        try produce(s, topic: later, accounts: 810...819, versions: 1...1)
        try drive(a) { self.storedTotal($0) == 15 }
        XCTAssertEqual(a.assigned.count, 3)
        XCTAssertEqual(Set(a.offsets.entries.keys.map(\.topic)), [existing, later])
        let redis = try client(s)
        XCTAssertEqual(try redis.send(RedisCommand("HGET", "account:815", "version"), key: "account:815").text, "1")
    }
}
