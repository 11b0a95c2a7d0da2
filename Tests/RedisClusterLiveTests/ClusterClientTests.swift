import XCTest

@testable import RedisCluster

final class ClusterClientTests: LiveClusterTestCase {

    func testSlotMapCoversAllSlotsAndKeysRouteToOwner() throws {
        let client = try client()
        XCTAssertEqual(client.slotMap.uncoveredSlots, 0)
        XCTAssertEqual(client.masters.count, 3)
        for key in ["foo", "bar", "{user1000}.following", "account:42"] {
            let reply = try client.send(RedisCommand("CLUSTER", "KEYSLOT", key), key: nil)
            XCTAssertEqual(reply.int, Int64(HashSlot.slot(of: key)), key)
        }
    }

    func testPipelineAcrossNodesAndReadBack() throws {
        let client = try client()
        let n = 3000
        let sets = (0..<n).map { i -> (RedisCommand, Int?) in
            (RedisCommand("SET", "pipe:\(i)", "v\(i)"), HashSlot.slot(of: "pipe:\(i)"))
        }
        let replies = try client.pipeline(sets)
        XCTAssertEqual(replies.count, n)
        XCTAssertTrue(replies.allSatisfy { $0 == .status("OK") })
        let gets = try client.pipeline(
            (0..<n).map { (RedisCommand("GET", "pipe:\($0)"), HashSlot.slot(of: "pipe:\($0)")) })
        XCTAssertEqual(gets.map { $0.text ?? "" }, (0..<n).map { "v\($0)" })
    }

    func testStaleSlotMapFollowsMoved() throws {
        let client = try client()
        let first = client.masters[0]
        let key = try XCTUnwrap(
            (0..<100).map { "moved:\($0)" }.first { client.slotMap.master(forSlot: HashSlot.slot(of: $0)) != first })
        // A map that wrongly says one node owns everything must still land the key (MOVED).
        let stale = try RedisClusterClient(topology: .cluster(seeds: [first]))
        stale.slotMap = SlotMap(single: first)
        XCTAssertEqual(try stale.send(RedisCommand("SET", key, "1"), key: key), .status("OK"))
        XCTAssertEqual(
            stale.slotMap.master(forSlot: HashSlot.slot(of: key)),
            client.slotMap.master(forSlot: HashSlot.slot(of: key)))
        XCTAssertEqual(try client.send(RedisCommand("GET", key), key: key).text, "1")
    }

    func testAskDuringMigrationThenMovedAfterIt() throws {
        let client = try client()
        let cluster = try liveCluster()
        let key = "ask:{migrating}"
        let slot = HashSlot.slot(of: key)
        let source = try XCTUnwrap(client.slotMap.master(forSlot: slot))
        let target = try XCTUnwrap(client.masters.first { $0 != source })
        let sourceID = try cluster.nodeID(port: source.port)
        let targetID = try cluster.nodeID(port: target.port)
        _ = try cluster.cli(target.port, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID])
        _ = try cluster.cli(source.port, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID])
        // The key is absent on the source, so the source answers ASK; the client sends ASKING + SET.
        XCTAssertEqual(try client.send(RedisCommand("SET", key, "asked"), key: key), .status("OK"))
        XCTAssertEqual(try client.send(RedisCommand("GET", key), key: key).text, "asked")
        XCTAssertEqual(client.slotMap.master(forSlot: slot), source, "ASK must not change the map")
        for p in cluster.ports {
            _ = try cluster.cli(p, ["CLUSTER", "SETSLOT", String(slot), "NODE", targetID])
        }
        XCTAssertEqual(try client.send(RedisCommand("GET", key), key: key).text, "asked")
        XCTAssertEqual(client.slotMap.master(forSlot: slot), target, "MOVED must update the map")
    }

    func testServerErrorIsReturnedNotRetried() throws {
        let client = try client()
        _ = try client.send(RedisCommand("SET", "str", "x"), key: "str")
        let r = try client.send(RedisCommand("HSET", "str", "f", "v"), key: "str")
        XCTAssertTrue(r.errorMessage?.hasPrefix("WRONGTYPE") ?? false, "\(r)")
    }

    func testConnectFailureNamesTheNode() {
        XCTAssertThrowsError(
            try RedisClusterClient(
                topology: .standalone(RedisEndpoint(host: "127.0.0.1", port: 1)),
                options: RedisOptions(connectTimeout: 0.5))
        ) { e in
            let err = e as? RedisError
            XCTAssertEqual(err?.code, .connect)
            XCTAssertEqual(err?.node, "127.0.0.1:1")
        }
    }
}
