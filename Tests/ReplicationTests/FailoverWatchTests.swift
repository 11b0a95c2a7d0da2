import Foundation
import RedisCluster
import XCTest

@testable import Replication

final class FailoverWatchTests: XCTestCase {
    private let healthy = """
        a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
        a2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922
        a3 127.0.0.1:7003@17003 master - 0 0 3 connected 10923-16383
        r1 127.0.0.1:7004@17004 slave a1 0 0 1 connected
        r2 127.0.0.1:7005@17005 slave a2 0 0 2 connected
        r3 127.0.0.1:7006@17006 slave a3 0 0 3 connected
        """

    func testParsesRoles() {
        let roles = ClusterRoles(clusterNodes: healthy + "\ngarbage line\n")
        XCTAssertEqual(roles.nodes.count, 6)
        XCTAssertEqual(roles.nodes["a2"]?.address, "127.0.0.1:7002")
        XCTAssertEqual(roles.nodes["a2"]?.servesSlots, true)
        XCTAssertEqual(roles.nodes["r2"]?.servesSlots, false)
        XCTAssertEqual(roles.nodes["r2"]?.isMaster, false)
    }

    func testPromotedReplicaRewinds() {
        var watch = FailoverWatch()
        XCTAssertEqual(
            watch.observe(ClusterRoles(clusterNodes: healthy)), .none, "the first look has nothing to compare")
        XCTAssertEqual(watch.observe(ClusterRoles(clusterNodes: healthy)), .none)
        let failedOver =
            healthy
            .replacingOccurrences(
                of: "a2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922",
                with: "a2 127.0.0.1:7002@17002 master,fail - 0 0 2 disconnected"
            )
            .replacingOccurrences(
                of: "r2 127.0.0.1:7005@17005 slave a2 0 0 2 connected",
                with: "r2 127.0.0.1:7005@17005 master - 0 0 4 connected 5461-10922")
        guard case .rewind(let reason) = watch.observe(ClusterRoles(clusterNodes: failedOver)) else {
            return XCTFail("no rewind")
        }
        XCTAssertTrue(
            reason.hasPrefix("primary cluster master change: 127.0.0.1:7005 (was a replica) now serves slots"), reason)
        XCTAssertEqual(watch.observe(ClusterRoles(clusterNodes: failedOver)), .none, "once per change")
    }

    /// A look taken while the master fails can leave its replica out; the replica that then takes
    /// over is still named as the replica it was, and the daemon rewinds.
    func testAReplicaLeftOutOfOneLookIsStillKnownWhenItTakesOver() {
        var watch = FailoverWatch()
        _ = watch.observe(ClusterRoles(clusterNodes: healthy))
        let midFailure = healthy.replacingOccurrences(
            of: "r2 127.0.0.1:7005@17005 slave a2 0 0 2 connected\n", with: "")
        XCTAssertEqual(watch.observe(ClusterRoles(clusterNodes: midFailure)), .none)
        let failedOver =
            midFailure
            .replacingOccurrences(
                of: "a2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922",
                with: "a2 127.0.0.1:7002@17002 master,fail - 0 0 2 disconnected")
            + "\nr2 127.0.0.1:7005@17005 master - 0 0 4 connected 5461-10922"
        guard case .rewind(let reason) = watch.observe(ClusterRoles(clusterNodes: failedOver)) else {
            return XCTFail("a promoted replica must rewind")
        }
        XCTAssertTrue(reason.contains("127.0.0.1:7005 (was a replica) now serves slots"), reason)
    }

    func testReshardingAndEmptyMastersDoNotRewind() {
        var watch = FailoverWatch()
        let withEmpty = healthy + "\nn7 127.0.0.1:7007@17007 master - 0 0 0 connected"
        _ = watch.observe(ClusterRoles(clusterNodes: withEmpty))
        let resharded =
            withEmpty
            .replacingOccurrences(of: "connected 0-5460", with: "connected 0-5000")
            .replacingOccurrences(
                of: "n7 127.0.0.1:7007@17007 master - 0 0 0 connected",
                with: "n7 127.0.0.1:7007@17007 master - 0 0 5 connected 5001-5460")
        XCTAssertEqual(watch.observe(ClusterRoles(clusterNodes: resharded)), .none)
        let stranger = resharded + "\nzz 127.0.0.1:7009@17009 master - 0 0 9 connected 16000"
        guard case .rewind(let reason) = watch.observe(ClusterRoles(clusterNodes: stranger)) else {
            return XCTFail("no rewind")
        }
        XCTAssertTrue(reason.contains("127.0.0.1:7009 (new node)"), reason)
    }
}

/// The roles as a cluster client's slot map shows them (CLUSTER SLOTS), and a failover seen there.
final class FailoverWatchSlotMapTests: XCTestCase {
    private func node(_ port: Int) -> RedisReply { .array([.bulk(Array("127.0.0.1".utf8)), .integer(Int64(port))]) }

    private func slots(_ shards: [(ClosedRange<Int>, master: Int, replica: Int?)]) throws -> SlotMap {
        let reply = RedisReply.array(
            shards.map { shard in
                .array(
                    [.integer(Int64(shard.0.lowerBound)), .integer(Int64(shard.0.upperBound)), node(shard.master)]
                        + (shard.replica.map { [node($0)] } ?? []))
            })
        return try SlotMap(clusterSlots: reply, replyingHost: "127.0.0.1")
    }

    func testSlotMapRolesAndPromotion() throws {
        let healthy = try slots([(0...5460, 7001, 7004), (5461...10922, 7002, 7005), (10923...16383, 7003, 7006)])
        let roles = ClusterRoles(slotMap: healthy)
        XCTAssertEqual(roles.nodes.count, 6)
        XCTAssertEqual(roles.nodes["127.0.0.1:7002"]?.servesSlots, true)
        XCTAssertEqual(roles.nodes["127.0.0.1:7005"]?.isMaster, false)
        var watch = FailoverWatch()
        XCTAssertEqual(watch.observe(roles), .none)
        // 7002 died: it is gone from CLUSTER SLOTS, its replica 7005 serves its slots.
        let failedOver = try slots([(0...5460, 7001, 7004), (5461...10922, 7005, nil), (10923...16383, 7003, 7006)])
        guard case .rewind(let reason) = watch.observe(ClusterRoles(slotMap: failedOver)) else {
            return XCTFail("no rewind")
        }
        XCTAssertTrue(reason.hasPrefix("primary cluster master change: 127.0.0.1:7005 (was a replica)"), reason)
        // 7002 back as 7005's replica: no new master, no rewind.
        let rejoined = try slots([(0...5460, 7001, 7004), (5461...10922, 7005, 7002), (10923...16383, 7003, 7006)])
        XCTAssertEqual(watch.observe(ClusterRoles(slotMap: rejoined)), .none)
        // A slot patched after MOVED to a node the map listed as a replica counts as its promotion.
        var patched = rejoined
        patched.assign(slot: 100, to: RedisEndpoint(host: "127.0.0.1", port: 7004))
        let patchedRoles = ClusterRoles(slotMap: patched)
        XCTAssertEqual(patchedRoles.nodes["127.0.0.1:7004"]?.isMaster, true)
        guard case .rewind = watch.observe(patchedRoles) else { return XCTFail("no rewind after the MOVED patch") }
    }
}
