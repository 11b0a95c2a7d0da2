import Binlog
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// Guarantee 7 at the sinks, against the real DR cluster of `RedisSinkTests` (own keys and sink).
extension RedisSinkTests {
    func testAnOlderTokenWritesNothingAfterANewerHolderRaisedTheFences() throws {
        let config = try config()
        func sink(token: Int64) throws -> RedisSink {
            let s = try RedisSink.make(config: config, cluster: "dr")
            try s.prepare()
            try Fencing.raise(to: token, in: s.applier.client)
            s.applier.fence = FenceToken(token)
            return s
        }
        func row(_ id: Int64, version: Int64) -> RowChange {
            RowChange(
                database: "pay", table: "accounts", kind: .insert, columns: ["id", "owner", "version"],
                after: [.int(id), .string("o\(id)"), .int(version)],
                gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: 1),
                ordinal: 0, position: BinlogPosition(file: "bin.000001", offset: 100))
        }
        func checkpoint(_ offset: UInt64) -> SinkCheckpoint {
            SinkCheckpoint(
                position: BinlogPosition(file: "bin.000001", offset: offset), gtid: "0-1-\(offset)", commitTime: 1)
        }

        let old = try sink(token: 1)
        XCTAssertEqual(
            try old.apply([row(9001, version: 1), row(9002, version: 1)], checkpoint: checkpoint(10)),
            [.applied, .applied])
        let new = try sink(token: 2)
        XCTAssertEqual(try new.apply([row(9001, version: 2)], checkpoint: checkpoint(20)), [.applied])

        // The old holder, resumed: a newer version, still refused as a whole, checkpoint included.
        XCTAssertThrowsError(try old.apply([row(9001, version: 3), row(9002, version: 3)], checkpoint: checkpoint(30)))
        {
            guard let e = $0 as? RedisError else { return XCTFail("\($0)") }
            XCTAssertEqual(e.code, .fenced, "\(e)")
            XCTAssertTrue(e.message.contains("FENCED token 1 is older than 2"), e.message)
        }
        let client = new.applier.client
        XCTAssertEqual(try client.send(RedisCommand("HGET", "account:9001", "version"), key: "account:9001").text, "2")
        XCTAssertEqual(try client.send(RedisCommand("HGET", "account:9002", "version"), key: "account:9002").text, "1")
        XCTAssertEqual(try new.loadCheckpoint(), checkpoint(20))

        // The re-routed single-row path and a checkpoint written alone are fenced the same way.
        let write = VersionedWrite(key: "account:9002", version: "4", value: .hash([.init("version", "4")]))
        let single = try client.send(
            ApplyBatch.singleCommand(write, tombstoneMilliseconds: 0, fence: 1), key: "account:9002")
        XCTAssertTrue(single.errorMessage?.hasPrefix("FENCED token 1 is older than 2") ?? false, "\(single)")
        let store = CheckpointStore(client: client, prefix: "sluice:checkpoint:")
        store.fence = FenceToken(1)
        XCTAssertThrowsError(try store.store(checkpoint(40), sink: "fencing")) {
            XCTAssertEqual(($0 as? RedisError)?.code, .fenced, "\($0)")
        }
        XCTAssertNil(try store.load(sink: "fencing"))
        // A holder that finds a newer token while raising must not write either.
        XCTAssertThrowsError(try Fencing.raise(to: 1, in: client)) {
            XCTAssertEqual(($0 as? RedisError)?.code, .fenced, "\($0)")
        }
        store.fence = FenceToken(3)
        try store.store(checkpoint(50), sink: "fencing")
        XCTAssertEqual(try store.load(sink: "fencing"), checkpoint(50))
    }
}
