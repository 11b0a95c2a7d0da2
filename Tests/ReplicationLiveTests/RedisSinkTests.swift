import Binlog
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// Sinks for two named clusters, built from a configuration file, against real clusters: a
/// primary with a replica per master and a DR cluster without replicas.
final class RedisSinkTests: XCTestCase {
    nonisolated(unsafe) private static var folder: SandboxFolder?
    nonisolated(unsafe) private static var primary: RedisClusterSandbox?
    nonisolated(unsafe) private static var dr: RedisClusterSandbox?
    nonisolated(unsafe) private static var startError: String?

    override class func setUp() {
        super.setUp()
        do {
            let f = try SandboxFolder(label: "redis-sink")
            folder = f
            let ports = PortAllocator()
            primary = try RedisClusterSandbox(in: f, ports: ports, name: "primary", masters: 3, replicasPerMaster: 1)
            dr = try RedisClusterSandbox(in: f, ports: ports, name: "dr", masters: 3)
        } catch {
            startError = "\(error)"
        }
    }

    override class func tearDown() {
        folder?.close()
        folder = nil
        super.tearDown()
    }

    func config(waitReplicas: Int = 0, waitTimeoutMS: Int = 1000) throws -> SluiceConfig {
        guard let p = Self.primary, let d = Self.dr else {
            throw SinkTestError(message: "sandbox did not start: \(Self.startError ?? "?")")
        }
        let text = """
            [source]
            host = "127.0.0.1"
            port = 3306
            user = "sluice"
            server_id = 4201

            [[mapping]]
            table = "pay.accounts"
            key = "account:{id}"
            shape = "hash"
            version = "column"
            version_column = "version"
            clusters = ["primary", "dr"]

            [[mapping]]
            table = "pay.balances"
            key = "balance:{id}"
            shape = "string"
            value_column = "amount"
            version = "binlog"
            clusters = ["primary"]

            [[mapping]]
            table = "pay.notes"
            key = "note:{id}"
            shape = "json"
            version = "column"
            version_column = "version"
            on_error = "skip"
            clusters = ["dr"]

            [redis.primary]
            seeds = [\(p.addresses.prefix(2).map { "\"\($0)\"" }.joined(separator: ", "))]
            wait_replicas = \(waitReplicas)
            wait_timeout_ms = \(waitTimeoutMS)
            tombstone_ttl_seconds = 600

            [redis.dr]
            seeds = ["\(d.addresses[0])"]
            """
        switch SluiceConfig.parse(text, file: "test.toml", directory: ".", environment: [:]) {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw SinkTestError(message: "\(errors)")
        }
    }

    private func accounts(_ id: Int64, version: Int64, gtid: UInt64, ordinal: Int = 0) -> RowChange {
        RowChange(
            database: "pay", table: "accounts", kind: .insert, columns: ["id", "owner", "version"],
            after: [.int(id), .string("o\(id)"), .int(version)],
            gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: gtid),
            ordinal: ordinal, position: BinlogPosition(file: "bin.000001", offset: 100 + gtid))
    }

    private func balance(_ id: Int64, _ amount: String, gtid: UInt64, ordinal: Int) -> RowChange {
        RowChange(
            database: "pay", table: "balances", kind: .update, columns: ["id", "amount"],
            before: [.int(id), .decimal("0.00")], after: [.int(id), .decimal(amount)],
            gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: gtid), ordinal: ordinal,
            position: BinlogPosition(file: "bin.000001", offset: 100 + gtid))
    }

    private func checkpoint(_ gtid: UInt64) -> SinkCheckpoint {
        SinkCheckpoint(
            position: BinlogPosition(file: "bin.000001", offset: 200 + gtid), gtid: "0-1-\(gtid)",
            commitTime: 1_700_000_000 + Int64(gtid))
    }

    func testTwoNamedClustersAreIndependentSinksWithTheirOwnCheckpoints() throws {
        let cfg = try config()
        let p = try RedisSink.make(config: cfg, cluster: "primary")
        let d = try RedisSink.make(config: cfg, cluster: "dr")
        try p.prepare()
        try d.prepare()
        XCTAssertNil(try p.loadCheckpoint())
        let tx = [
            accounts(1, version: 1, gtid: 10), balance(1, "5.00", gtid: 10, ordinal: 1),
            balance(1, "6.00", gtid: 10, ordinal: 2),
        ]
        XCTAssertEqual(try p.apply(tx, checkpoint: checkpoint(10)), [.applied, .applied, .applied])
        XCTAssertEqual(try d.apply(tx, checkpoint: checkpoint(9)), [.applied])  // balances are not mapped to dr
        XCTAssertEqual(try p.loadCheckpoint(), checkpoint(10))
        XCTAssertEqual(try d.loadCheckpoint(), checkpoint(9))
        XCTAssertEqual(try p.applier.client.send(RedisCommand("GET", "balance:1"), key: "balance:1").text, "6.00")
        XCTAssertEqual(try d.applier.client.send(RedisCommand("EXISTS", "balance:1"), key: "balance:1").int, 0)
        XCTAssertEqual(
            try d.applier.client.send(RedisCommand("HGET", "account:1", "owner"), key: "account:1").text, "o1")
        // A replay of the same transaction is refused and the checkpoint stays put on failure.
        XCTAssertEqual(try p.apply(tx, checkpoint: checkpoint(10)), [.staleRefused, .staleRefused, .staleRefused])
        XCTAssertEqual(p.counters.staleRefused, 3)
        let bad = RowChange(
            database: "pay", table: "balances", kind: .insert, columns: ["id", "amount"],
            after: [.null, .decimal("1")], gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: 11))
        XCTAssertThrowsError(try p.apply([bad], checkpoint: checkpoint(11))) { e in
            XCTAssertEqual((e as? MappingError)?.code, .nullKeyColumn)
        }
        XCTAssertEqual(try p.loadCheckpoint(), checkpoint(10))
        // A table set to on_error = "skip" counts the row and moves on.
        let note = RowChange(
            database: "pay", table: "notes", kind: .insert, columns: ["id", "version"], after: [.int(1), .null])
        XCTAssertEqual(try d.apply([note], checkpoint: checkpoint(12)), [])
        XCTAssertEqual(d.counters.skippedRows, 1)
        XCTAssertEqual(try d.loadCheckpoint(), checkpoint(12))
    }

    /// A table with two `[[mapping]]`s (its rows by id and by owner): every mapping naming the
    /// cluster writes its key, each version-checked on its own.
    func testEveryMappingOfATableWritesItsKey() throws {
        guard let p = Self.primary else {
            throw SinkTestError(message: "sandbox did not start: \(Self.startError ?? "?")")
        }
        let text = """
            [source]
            host = "127.0.0.1"
            user = "sluice"
            server_id = 4202
            [[mapping]]
            table = "pay.accounts"
            key = "account:{id}"
            version = "column"
            version_column = "version"
            [[mapping]]
            table = "pay.accounts"
            key = "owner:{owner}"
            shape = "string"
            value_column = "id"
            version = "column"
            version_column = "version"
            [redis.primary]
            seeds = ["\(p.addresses[0])"]
            checkpoint_prefix = "sluice:checkpoint:two-mappings:"
            """
        let parsed = SluiceConfig.parse(text, file: "two.toml", directory: ".", environment: [:])
        guard case .success(let loaded) = parsed else { return XCTFail("two.toml does not load") }
        let sink = try RedisSink.make(config: loaded.config, cluster: "primary")
        try sink.prepare()
        XCTAssertEqual(
            try sink.apply([accounts(4401, version: 3, gtid: 40)], checkpoint: nil), [.applied, .applied])
        let client = sink.applier.client
        XCTAssertEqual(
            try client.send(RedisCommand("HGET", "account:4401", "owner"), key: "account:4401").text, "o4401")
        XCTAssertEqual(try client.send(RedisCommand("GET", "owner:o4401"), key: "owner:o4401").text, "4401")
        // An older version is refused for both keys.
        XCTAssertEqual(
            try sink.apply([accounts(4401, version: 2, gtid: 41)], checkpoint: nil), [.staleRefused, .staleRefused])
        XCTAssertEqual(sink.lastApplyByTable["pay.accounts"]?.stale, 2)
    }

    /// Hostile key values against a template that starts with a column (which `config check`
    /// refuses; built here directly): a row may not write sluice's own keys.
    func testKeyValuesInSluiceNamespaceAreRefused() throws {
        let cfg = try config()
        let victimSink = try RedisSink.make(config: cfg, cluster: "primary")
        try victimSink.prepare()
        XCTAssertEqual(
            try victimSink.apply([accounts(9007, version: 5, gtid: 30)], checkpoint: checkpoint(30)), [.applied])
        let template = try KeyTemplate.parse("{name}").get()
        func users(skip: Bool) throws -> RedisSink {
            let mapping = TableMapping(
                database: "pay", table: "users", key: template, shape: .hash(columns: []), version: .column("version"),
                skipOnError: skip, clusters: ["primary"],
                reservedPrefixes: KeyNamespace.reserved(checkpointPrefixes: ["sluice:checkpoint:"]))
            return RedisSink(name: "primary", client: victimSink.applier.client, mappings: [mapping])
        }
        func user(_ name: String, version: Int64, gtid: UInt64) -> RowChange {
            RowChange(
                database: "pay", table: "users", kind: .insert, columns: ["name", "version"],
                after: [.string(name), .int(version)], gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: gtid),
                position: BinlogPosition(file: "bin.000001", offset: 100 + gtid))
        }
        let halting = try users(skip: false)
        let versionKey = String(decoding: VersionKey.of(Array("account:9007".utf8)), as: UTF8.self)
        for (hostile, gtid) in [(versionKey, UInt64(31)), (victimSink.checkpointKey, 32), ("sluice:dr:offsets:dr", 33)]
        {
            XCTAssertThrowsError(try halting.apply([user(hostile, version: 999_999, gtid: gtid)], checkpoint: nil)) {
                let error = $0 as? MappingError
                XCTAssertEqual(error?.code, .reservedKey, "\($0)")
                XCTAssertEqual(error?.table, "pay.users")
                XCTAssertTrue(error?.message.contains("where sluice keeps its own data") == true, "\($0)")
            }
        }
        // Nothing was written under the victim's version key; its next update still applies, and
        // the checkpoint is still a hash that loads.
        let client = victimSink.applier.client
        XCTAssertEqual(try client.send(RedisCommand("EXISTS", versionKey), key: versionKey).int, 0)
        XCTAssertEqual(
            try victimSink.apply([accounts(9007, version: 6, gtid: 34)], checkpoint: checkpoint(34)), [.applied])
        XCTAssertEqual(try victimSink.loadCheckpoint(), checkpoint(34))
        // A table set to skip counts the refused row and writes the rest of the batch.
        let skipping = try users(skip: true)
        let batch = [user(versionKey, version: 999_999, gtid: 35), user("alice", version: 1, gtid: 35)]
        XCTAssertEqual(try skipping.apply(batch, checkpoint: nil), [.applied])
        XCTAssertEqual(skipping.counters.skippedRows, 1)
        XCTAssertEqual(skipping.lastSkipped?.code, .reservedKey)
        XCTAssertEqual(try victimSink.apply([accounts(9007, version: 7, gtid: 36)], checkpoint: nil), [.applied])
        // The other tests start without a checkpoint.
        let key = victimSink.checkpointKey
        _ = try victimSink.applier.client.send(RedisCommand("DEL", key), key: key)
    }

    func testWaitForReplicasAndShortfallCounter() throws {
        let ok = try RedisSink.make(config: try config(waitReplicas: 1, waitTimeoutMS: 10_000), cluster: "primary")
        try ok.prepare()
        _ = try ok.apply((0..<50).map { accounts($0, version: 1, gtid: 20) }, checkpoint: checkpoint(20))
        XCTAssertEqual(ok.counters.waitShortfalls, 0)
        XCTAssertEqual(ok.counters.checkpoints, 1)
        // Each master has one replica: asking for two falls short on every written master.
        let short = try RedisSink.make(config: try config(waitReplicas: 2, waitTimeoutMS: 50), cluster: "primary")
        _ = try short.apply((0..<50).map { accounts($0, version: 2, gtid: 21) }, checkpoint: checkpoint(21))
        XCTAssertEqual(short.counters.waitShortfalls, 3)
        XCTAssertEqual(try short.loadCheckpoint(), checkpoint(21))
    }
}

struct SinkTestError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
