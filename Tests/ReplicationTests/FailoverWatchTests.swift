import Foundation
import RedisCluster
import TestSupport
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

/// On a real primary cluster: killing a master makes its replica take over, and the watch, fed
/// from `CLUSTER NODES`, asks for a rewind.
final class FailoverWatchLiveTests: XCTestCase {
    func testKilledMasterIsSeenAsAFailover() throws {
        let folder = try SandboxFolder(label: "failover-watch")
        defer { folder.close() }
        let cluster = try RedisClusterSandbox(
            in: folder, ports: PortAllocator(), name: "primary", masters: 3, replicasPerMaster: 1)
        let masters = try cluster.masterPorts()
        let survivor = try XCTUnwrap(masters.last)
        let client = try RedisClusterClient(
            topology: .cluster(seeds: [RedisEndpoint(host: "127.0.0.1", port: survivor)]))
        // A replica takes over only once it has synced (a never-synced replica's data counts as too old).
        let synced = Date().addingTimeInterval(20)
        while try !cluster.command(masters[0], ["INFO", "replication"]).contains("state=online"), Date() < synced {
            Thread.sleep(forTimeInterval: 0.1)
        }
        var watch = FailoverWatch()
        XCTAssertEqual(watch.observe(try ClusterRoles(from: client)), .none)
        cluster.crashNode(masters[0])
        let deadline = Date().addingTimeInterval(30)
        var decision = FailoverWatch.Decision.none
        while Date() < deadline {
            decision = watch.observe(try ClusterRoles(from: client))
            if decision != .none { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        guard case .rewind(let reason) = decision else { return XCTFail("no failover seen within 30 s") }
        XCTAssertTrue(reason.contains("(was a replica) now serves slots"), reason)
    }
}
