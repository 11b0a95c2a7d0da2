import XCTest

@testable import RedisCluster

final class SlotMapTests: XCTestCase {
    private func node(_ host: String, _ port: Int64, _ id: String) -> RedisReply {
        .array([.bulk(Array(host.utf8)), .integer(port), .bulk(Array(id.utf8))])
    }

    func testParseClusterSlots() throws {
        let reply = RedisReply.array([
            .array([.integer(0), .integer(5460), node("127.0.0.1", 7000, "a"), node("127.0.0.1", 7003, "d")]),
            .array([.integer(5461), .integer(10922), node("", 7001, "b")]),
            .array([.integer(10923), .integer(16383), node("127.0.0.1", 7002, "c")]),
        ])
        let map = try SlotMap(clusterSlots: reply, replyingHost: "127.0.0.5")
        XCTAssertEqual(map.masters.map(\.description), ["127.0.0.1:7000", "127.0.0.5:7001", "127.0.0.1:7002"])
        XCTAssertEqual(map.replicas[0], [RedisEndpoint(host: "127.0.0.1", port: 7003)])
        XCTAssertEqual(map.master(forSlot: 5460)?.port, 7000)
        XCTAssertEqual(map.master(forSlot: 5461)?.port, 7001)
        XCTAssertEqual(map.master(forSlot: 16383)?.port, 7002)
        XCTAssertNil(map.master(forSlot: 16384))
        XCTAssertEqual(map.uncoveredSlots, 0)
        XCTAssertEqual(map.ranges(of: RedisEndpoint(host: "127.0.0.1", port: 7002)), [10923...16383])
    }

    func testMalformedClusterSlotsThrow() {
        let bad: [RedisReply] = [
            .status("OK"),
            .array([.array([.integer(0)])]),
            .array([.array([.integer(5), .integer(2), node("h", 1, "x")])]),
            .array([.array([.integer(0), .integer(16384), node("h", 1, "x")])]),
            .array([.array([.integer(0), .integer(1), .array([.bulk(Array("h".utf8)), .integer(0)])])]),
        ]
        for r in bad {
            XCTAssertThrowsError(try SlotMap(clusterSlots: r, replyingHost: "h")) { e in
                XCTAssertEqual((e as? RedisError)?.code, .protocolViolation)
            }
        }
    }

    func testMovedPatchesOneSlotAndPlanRegroups() {
        let a = RedisEndpoint(host: "127.0.0.1", port: 7000)
        let b = RedisEndpoint(host: "127.0.0.1", port: 7001)
        var map = SlotMap(single: a)
        var plan = PipelinePlan(slots: [1, 2, nil])
        let first = plan.groups(using: map)
        XCTAssertEqual(first.byNode[a]?.map(\.index), [0, 1, 2])
        let outcomes: [(PipelinePlan.Pending, Result<RedisReply, RedisError>, RedisEndpoint)] = [
            (plan.pending[0], .success(.status("OK")), a),
            (plan.pending[1], .success(.error("MOVED 2 127.0.0.1:7001")), a),
            (plan.pending[2], .success(.error("ASK 9 127.0.0.1:7001")), a),
        ]
        let done = plan.record(outcomes, map: &map)
        XCTAssertEqual(done.map(\.0), [0])
        XCTAssertTrue(plan.needsRefresh)
        XCTAssertFalse(plan.needsPause)
        XCTAssertEqual(map.master(forSlot: 2), b)
        XCTAssertEqual(map.master(forSlot: 1), a)
        let second = plan.groups(using: map)
        XCTAssertEqual(second.byNode[b]?.map(\.index), [1, 2])
        XCTAssertEqual(second.byNode[b]?.last?.askTarget, b)
        // TRYAGAIN keeps the request pending and asks for a pause; a final error reply is done.
        let again = plan.record(
            [
                (plan.pending[0], .success(.error("TRYAGAIN later")), b),
                (plan.pending[1], .success(.error("ERR wrong")), b),
            ], map: &map)
        XCTAssertEqual(again.map(\.0), [2])
        XCTAssertTrue(plan.needsPause)
        XCTAssertEqual(plan.round, 2)
        XCTAssertNil(plan.pending[0].askTarget)
    }
}
