import Binlog
import Foundation
import Kafka
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// The sink half of the daemon against a real primary cluster (a replica per master, WAIT 1) and
/// a real Tansu broker: both sinks get every transaction, the checkpoint follows the slower one,
/// a frozen broker holds back the source through the bounded queues, and a drain ends with every
/// checkpoint at the last transaction.
final class SinkPipelineTests: XCTestCase {
    func testBothSinksCheckpointAndAFrozenBrokerHoldsTheSource() throws {
        let folder = try SandboxFolder(label: "sink-pipeline")
        defer { folder.close() }
        let ports = PortAllocator()
        let cluster = try RedisClusterSandbox(
            in: folder, ports: ports, name: "primary", masters: 3, replicasPerMaster: 1)
        let broker = try TansuBroker(in: folder, ports: ports)
        try broker.createTopic("sluice.pay.accounts", partitions: 3)
        try broker.createTopic("sluice.pay.audit", partitions: 1)

        let seeds = cluster.addresses.prefix(2).compactMap { text -> RedisEndpoint? in
            let parts = text.split(separator: ":")
            return Int(parts[1]).map { RedisEndpoint(host: String(parts[0]), port: $0) }
        }
        guard case .success(let key) = KeyTemplate.parse("account:{id}") else { return XCTFail("template") }
        let mapping = TableMapping(
            database: "pay", table: "accounts", key: key, shape: .hash(columns: []), version: .column("version"))
        let redis = RedisSink(
            name: "primary", client: try RedisClusterClient(topology: .cluster(seeds: seeds)), mappings: [mapping],
            settings: .init(waitReplicas: 1, waitTimeoutMilliseconds: 2000))
        try redis.prepare()
        let reader = try RedisClusterClient(topology: .cluster(seeds: seeds))
        let store = CheckpointStore(
            client: try RedisClusterClient(topology: .cluster(seeds: seeds)), prefix: "sluice:checkpoint:")
        let logged = LockedList<String>()
        let kafka = KafkaSink(
            settings: .init(
                properties: ["bootstrap.servers": broker.bootstrapServers], retryPauseSeconds: 0.1, holdLogSeconds: 1),
            mappings: [mapping], logger: .events { logged.append($0.message) })
        let pipeline = SinkPipeline(
            sinks: [redis, KafkaPipelineSink(kafka, checkpoints: store)],
            filter: try TableFilter(include: [#"pay\..*"#], exclude: [#"pay\.tmp_.*"#]),
            start: nil, settings: .init(queueCapacity: 4, batchTransactions: 8),
            logger: .events { logged.append($0.message) })

        var offset: UInt64 = 4
        func transaction(_ round: Int, chunk: (index: Int, last: Bool)? = nil) -> PipelineTransaction {
            offset += 1000
            let at = BinlogPosition(file: "bin.000001", offset: offset)
            var changes = (1...10).map { id -> RowChange in
                RowChange(
                    database: "pay", table: "accounts", kind: round == 1 ? .insert : .update,
                    columns: ["id", "balance", "version"],
                    before: round == 1 ? nil : [.int(Int64(id)), .decimal("\(round - 1).00"), .int(Int64(round - 1))],
                    after: [.int(Int64(id)), .decimal("\(round).00"), .int(Int64(round))], position: at, primaryKey: [0]
                )
            }
            changes.append(
                RowChange(
                    database: "pay", table: "tmp_scratch", kind: .insert, columns: ["x"], after: [.int(1)], position: at
                ))
            changes.append(
                RowChange(
                    database: "pay", table: "audit", kind: .insert, columns: ["n"], after: [.int(Int64(round))],
                    position: at, primaryKey: [0]))
            let isLast = chunk?.last ?? true
            return PipelineTransaction(
                changes: changes, origin: .init(serverID: 1, gtid: nil, timestamp: 1_700_000_000, end: at),
                checkpoint: isLast ? SinkCheckpoint(position: at, gtid: nil, commitTime: 1_700_000_000) : nil)
        }

        for round in 1...20 { XCTAssertTrue(pipeline.submit(transaction(round))) }
        // A transaction in two chunks: the first carries no checkpoint.
        XCTAssertTrue(pipeline.submit(transaction(21, chunk: (0, false))))
        XCTAssertTrue(pipeline.submit(transaction(22, chunk: (1, true))))

        // Freeze the broker: Kafka stops acknowledging, its queue fills, and submit waits.
        guard let pid = broker.pid else { return XCTFail("broker has no pid") }
        Thread.sleep(forTimeInterval: 1)
        kill(pid, SIGSTOP)
        let submitted = LockedList<Int>()
        let lastRound = (23...50).map { transaction($0) }
        let feeder = Thread {
            for t in lastRound where pipeline.submit(t) { submitted.append(1) }
        }
        feeder.start()
        Thread.sleep(forTimeInterval: 2)
        let whileFrozen = submitted.items.count
        let committedWhileFrozen = pipeline.committed
        let blocked = Dictionary(uniqueKeysWithValues: pipeline.blockedSeconds().map { ($0.label, $0.seconds) })
        let room = pipeline.waitForRoom(until: Date().addingTimeInterval(0.1))
        kill(pid, SIGCONT)
        XCTAssertGreaterThan(blocked["kafka"] ?? 0, 1.5, "the Kafka sink's batch waits: \(blocked)")
        XCTAssertLessThan(blocked["redis.primary"] ?? 99, 1, "the Redis sink keeps up: \(blocked)")
        XCTAssertFalse(room, "the Kafka queue is full")
        XCTAssertLessThan(whileFrozen, 28, "the source was not held back by the frozen broker")
        XCTAssertNotEqual(committedWhileFrozen, lastRound.last?.checkpoint)
        eventually(timeout: 60, interval: 0.05) { submitted.items.count >= 28 }
        XCTAssertEqual(submitted.items.count, 28)
        XCTAssertTrue(pipeline.drain(timeoutSeconds: 60), "drain did not finish")
        XCTAssertNil(pipeline.error)

        let final = lastRound.last?.checkpoint
        XCTAssertEqual(pipeline.committed, final)
        XCTAssertEqual(pipeline.replicated, final, "WAIT 1 was met")
        XCTAssertEqual(pipeline.inFlight, 0)
        XCTAssertEqual(try store.load(sink: "primary"), final)
        XCTAssertEqual(try store.load(sink: "kafka"), final)
        for id in 1...10 {
            let k = "account:\(id)"
            XCTAssertEqual(try reader.send(RedisCommand("HGET", k, "version"), key: k).text, "50")
            XCTAssertEqual(try reader.send(RedisCommand("HGET", k, "balance"), key: k).text, "50.00")
        }

        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": broker.bootstrapServers])
        try consumer.assign(
            (0..<3).map {
                KafkaPartitionOffset(
                    topic: "sluice.pay.accounts", partition: $0, offset: KafkaPartitionOffset.beginning)
            }
                + [
                    KafkaPartitionOffset(
                        topic: "sluice.pay.audit", partition: 0, offset: KafkaPartitionOffset.beginning)
                ])
        let received = try consumer.poll(count: 550, timeoutMilliseconds: 30_000)
        XCTAssertEqual(received.filter { $0.topic == "sluice.pay.accounts" }.count, 500)
        XCTAssertEqual(received.filter { $0.topic == "sluice.pay.audit" }.count, 50)
        XCTAssertFalse(received.contains { $0.topic.contains("tmp_") }, "filtered tables never reach Kafka")
        var last: [String: Int] = [:]
        for r in received where r.topic == "sluice.pay.accounts" {
            let k = String(decoding: r.key ?? [], as: UTF8.self)
            let v =
                Int(
                    r.headers.first { $0.name == "sluice.version" }?.value.map { String(decoding: $0, as: UTF8.self) }
                        ?? "") ?? -1
            XCTAssertGreaterThan(v, last[k] ?? 0, "versions of \(k) arrive in order")
            last[k] = v
        }
        XCTAssertEqual(Set(last.values), [50])
    }
}
