import TestSupport
import XCTest

final class RedisClusterSandboxTests: XCTestCase {
    private var folder: SandboxFolder!

    override func setUpWithError() throws {
        folder = try SandboxFolder(label: "redis-test")
    }

    override func tearDown() {
        folder?.close()
    }

    func testPrimaryAndDRClustersAnswerOnEveryNode() throws {
        let ports = PortAllocator()
        let primary = try RedisClusterSandbox(
            in: folder, ports: ports, name: "primary", masters: 3, replicasPerMaster: 1)
        let dr = try RedisClusterSandbox(in: folder, ports: ports, name: "dr", masters: 3)
        XCTAssertEqual(primary.ports.count, 6)
        XCTAssertEqual(dr.ports.count, 3)
        XCTAssertTrue(Set(primary.ports).isDisjoint(with: dr.ports))

        for port in primary.ports + dr.ports {
            let connection = try HiredisConnection(port: port)
            XCTAssertEqual(try connection.command(["PING"]), "PONG", "node \(port)")
            let info = try connection.command(["CLUSTER", "INFO"])
            XCTAssertTrue(info.contains("cluster_state:ok"), "node \(port): \(info)")
            XCTAssertTrue(info.contains("cluster_slots_assigned:16384"), "node \(port)")
        }
        XCTAssertEqual(try primary.masterPorts().count, 3)
        XCTAssertEqual(try primary.replicaPorts().count, 3)
        XCTAssertEqual(try dr.masterPorts().count, 3)
        XCTAssertEqual(try dr.replicaPorts(), [])

        // Each replica follows a master of its own cluster, and the two clusters don't know each other.
        let topology = try primary.topology()
        let masterIDs = Set(topology.filter { $0.role == .master }.map(\.id))
        for replica in topology where replica.role == .replica {
            XCTAssertTrue(masterIDs.contains(replica.masterID ?? ""), "\(replica)")
        }
        XCTAssertTrue(Set(try dr.topology().map(\.port)).isDisjoint(with: primary.ports))
    }

    func testAKeyWrittenOnItsMasterIsReadableAndAStoppedNodeRejoins() throws {
        let cluster = try RedisClusterSandbox(
            in: folder, ports: PortAllocator(), name: "primary", masters: 3, replicasPerMaster: 1)
        // "foo" hashes to slot 12182; its owner answers SET, the others answer MOVED.
        var owner: Int?
        for port in try cluster.masterPorts() {
            do {
                let reply = try HiredisConnection(port: port).command(["SET", "foo", "bar"])
                XCTAssertEqual(reply, "OK")
                owner = port
            } catch let failure as HiredisConnection.Failure {
                XCTAssertTrue(failure.description.contains("MOVED 12182 127.0.0.1:"), failure.description)
            }
        }
        let master = try XCTUnwrap(owner)
        XCTAssertEqual(try HiredisConnection(port: master).command(["GET", "foo"]), "bar")

        let replica = try XCTUnwrap(cluster.replicaPorts().first)
        cluster.stopNode(replica)
        XCTAssertFalse(cluster.isRunning(replica))
        XCTAssertThrowsError(try HiredisConnection(port: replica).command(["PING"]))
        try cluster.restartNode(replica)
        XCTAssertEqual(try HiredisConnection(port: replica).command(["PING"]), "PONG")
        XCTAssertTrue(try cluster.command(replica, ["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    }
}
