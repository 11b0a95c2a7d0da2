import Foundation
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

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
        try eventually(timeout: 20, interval: 0.1) {
            try cluster.command(masters[0], ["INFO", "replication"]).contains("state=online")
        }
        var watch = FailoverWatch()
        XCTAssertEqual(watch.observe(try ClusterRoles(from: client)), .none)
        // The same watch fed from the client's slot map (CLUSTER SLOTS), as the daemon does it.
        // CLUSTER SLOTS lists a replica only once the answering node heard it has synced.
        try eventually(timeout: 20, interval: 0.1) {
            try client.refreshSlotMap()
            return client.slotMap.replicas.allSatisfy { !$0.isEmpty }
        }
        var mapWatch = FailoverWatch()
        XCTAssertEqual(mapWatch.observe(ClusterRoles(slotMap: client.slotMap)), .none)
        let nodes = try cluster.topology()
        let killedID = nodes.first { $0.port == masters[0] }?.id
        let replicaOfKilled = try XCTUnwrap(nodes.first { $0.role == .replica && $0.masterID == killedID }?.port)
        cluster.crashNode(masters[0])
        var decision = FailoverWatch.Decision.none
        var mapDecision = FailoverWatch.Decision.none
        try eventually(timeout: 30, interval: 0.2) {
            if decision == .none { decision = watch.observe(try ClusterRoles(from: client)) }
            if mapDecision == .none {
                try? client.refreshSlotMap()
                mapDecision = mapWatch.observe(ClusterRoles(slotMap: client.slotMap))
            }
            return decision != .none && mapDecision != .none
        }
        guard case .rewind(let reason) = decision else { return XCTFail("no failover seen within 30 s") }
        XCTAssertTrue(reason.contains("(was a replica) now serves slots"), reason)
        guard case .rewind(let mapReason) = mapDecision else {
            return XCTFail("the slot map showed no failover within 30 s")
        }
        XCTAssertTrue(mapReason.contains("127.0.0.1:\(replicaOfKilled) (was a replica) now serves slots"), mapReason)
    }
}
