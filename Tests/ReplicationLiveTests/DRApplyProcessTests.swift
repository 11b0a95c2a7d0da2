import Binlog
import Foundation
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// The built `sluice dr-apply` binary as a child process: killed with SIGKILL mid-stream again and
/// again while messages keep arriving, then left to catch up; the DR cluster must hold exactly the
/// last version of every row, the endpoint's metrics must match what the last process applied,
/// and SIGTERM must end it with status 0.
final class DRApplyProcessTests: XCTestCase {
    private func change(_ id: Int64, version: Int64) -> RowChange {
        RowChange(database: "pay", table: "accounts", kind: .update, columns: ["id", "balance", "version"],
                  before: [.int(id), .decimal("\(version - 1).00"), .int(version - 1)],
                  after: [.int(id), .decimal("\(version).00"), .int(version)],
                  position: BinlogPosition(file: "bin.000001", offset: UInt64(version * 1000 + id)), primaryKey: [0])
    }

    func testKilledTenTimesMidStreamThenEqualAfterCatchUp() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "dr-kill")
        defer { folder.close() }
        let ports = PortAllocator()
        let dr: RedisClusterSandbox
        let broker: TansuBroker
        do {
            dr = try RedisClusterSandbox(in: folder, ports: ports, name: "dr", masters: 3)
            broker = try TansuBroker(in: folder, ports: ports)
        } catch {
            throw XCTSkip("sandbox did not start: \(error)")
        }
        let topic = "dr.kill"
        try broker.createTopic(topic, partitions: 3)
        let metricsPort = try ports.pick()
        let configPath = folder.path + "/dr-apply.toml"
        try """
            [[mapping]]
            table = "pay.accounts"
            key = "account:{id}"
            shape = "hash"
            version = "column"
            version_column = "version"
            clusters = ["dr"]

            [redis.dr]
            seeds = [\(dr.ports.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            mode = "cluster"
            batch_rows = 50

            [kafka]
            brokers = ["\(broker.bootstrapServers)"]

            [dr_apply]
            topics = ["\(topic)"]

            [metrics]
            listen = "127.0.0.1:\(metricsPort)"
            """.write(toFile: configPath, atomically: true, encoding: .utf8)

        let redis = try RedisClusterClient(topology: .cluster(seeds: dr.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) }))
        let offsetsKey = DROffsets.key(prefix: "sluice:dr:offsets:", cluster: "dr")
        let accounts: ClosedRange<Int64> = 1...60
        let versions: ClosedRange<Int64> = 1...40
        let total = Int64(accounts.count * versions.count)

        // The producer: one transaction per version, 3 released as each applier starts and the last
        // 10 after the 10th kill, so every kill is mid-stream however slow the machine.
        guard case .success(let key) = KeyTemplate.parse("account:{id}") else { throw XCTSkip("template") }
        let mapping = TableMapping(database: "pay", table: "accounts", key: key, shape: .hash(columns: []),
                                   version: .column("version"), clusters: ["dr"])
        let settings = KafkaSink.Settings(properties: ["bootstrap.servers": broker.bootstrapServers], singleTopic: topic)
        let builder = KafkaSink(settings: settings, mappings: [mapping], logger: .events { _ in })
        var batches: [[KafkaChangeMessage]] = []
        for v in versions {
            let origin = KafkaChangeMessage.Origin(serverID: 1, gtid: nil, timestamp: UInt32(1_700_000_000 + v),
                                                   end: BinlogPosition(file: "bin.000001", offset: UInt64(v * 1000 + 999)))
            batches.append(try builder.messages(for: accounts.map { change($0, version: v) }, origin: origin))
        }
        let producerDone = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        let producerError = LockedBox<String?>(nil)
        Thread.detachNewThread { [batches] in
            let sink = KafkaSink(settings: settings, mappings: [mapping], logger: .events { _ in })
            do {
                for batch in batches {
                    released.wait()
                    try sink.deliver(batch)
                    Thread.sleep(forTimeInterval: 0.05)
                }
            } catch {
                producerError.set("\(error)")
            }
            producerDone.signal()
        }

        let totals = try DRKills.run(
            times: 10,
            start: {
                try folder.start(service: "dr-apply", executable: executable,
                                 arguments: ["dr-apply", "--config", configPath], workingDirectory: folder.path,
                                 logPath: folder.path + "/dr-apply.log")
            },
            folder: folder, logPath: folder.path + "/dr-apply.log",
            storedTotal: { try DRKills.storedTotal(redis, key: offsetsKey) }, upTo: total,
            between: { _ in for _ in 0..<3 { released.signal() } })
        for _ in 30..<batches.count { released.signal() }
        let lastTotal = totals.last ?? -1
        XCTAssertEqual(totals.count, 10)
        XCTAssertEqual(producerDone.wait(timeout: .now() + 60), .success)
        XCTAssertNil(producerError.get())
        XCTAssertLessThan(lastTotal, total, "the kills happened mid-stream")

        // The last run catches up; what it applied is what its metrics say.
        let startedAt = try DRKills.storedTotal(redis, key: offsetsKey)
        let child = try folder.start(service: "dr-apply", executable: executable,
                                     arguments: ["dr-apply", "--config", configPath], workingDirectory: folder.path,
                                     logPath: folder.path + "/dr-apply.log")
        try eventually(timeout: 60, interval: 0.1) { try DRKills.storedTotal(redis, key: offsetsKey) >= total }
        XCTAssertEqual(try DRKills.storedTotal(redis, key: offsetsKey), total)
        // The counters move just after the offsets, and the lag gauges are sampled once a second.
        func counted(_ scrape: MetricsScrape) -> Double {
            (scrape.value(#"sluice_sink_rows_applied_total{db="pay",sink="dr",table="accounts"}"#) ?? -1)
                + (scrape.value(#"sluice_sink_stale_writes_total{db="pay",sink="dr",table="accounts"}"#) ?? -1)
        }
        let scrape = try MetricsScrape.awaiting(port: metricsPort, folder: folder) {
            counted($0) == Double(total - startedAt) && $0.value(#"sluice_dr_messages_behind{cluster="dr"}"#) == 0
        }
        let value = scrape.value
        XCTAssertEqual(counted(scrape), Double(total - startedAt), scrape.text)
        XCTAssertEqual(value(#"sluice_dr_messages_behind{cluster="dr"}"#), 0, scrape.text)
        let lag = value(#"sluice_dr_lag_seconds{cluster="dr"}"#) ?? -1
        let expectedLag = Date().timeIntervalSince1970 - Double(1_700_000_000 + versions.upperBound)
        XCTAssertEqual(lag, expectedLag, accuracy: 5, scrape.text)

        child.stop(grace: 10)
        folder.forget(child)
        XCTAssertEqual(child.exitStatusIfExited(), 0, LogFile.tail(folder.path + "/dr-apply.log"))

        for id in accounts {
            let reply = try redis.send(RedisCommand("HGETALL", "account:\(id)"), key: "account:\(id)")
            let items = reply.elements?.compactMap(\.text) ?? []
            let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) })
            XCTAssertEqual(fields, ["id": "\(id)", "balance": "\(versions.upperBound).00", "version": "\(versions.upperBound)", "sluice:v": "\(versions.upperBound)"], "account \(id)")
        }
    }
}

/// A value shared with a producer thread.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}
