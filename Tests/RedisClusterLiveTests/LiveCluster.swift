import RedisCluster
import TestSupport
import XCTest

/// A Redis Cluster from the shared TestSupport sandbox, plus the few things these tests need.
final class LiveCluster: @unchecked Sendable {
    let folder: SandboxFolder
    let sandbox: RedisClusterSandbox

    init(label: String, masters: Int = 3, replicasPerMaster: Int = 0) throws {
        folder = try SandboxFolder(label: label)
        do {
            sandbox = try RedisClusterSandbox(
                in: folder, ports: PortAllocator(), name: "primary", masters: masters,
                replicasPerMaster: replicasPerMaster)
        } catch {
            folder.close()
            throw error
        }
    }

    var ports: [Int] { sandbox.ports }
    var seeds: [RedisEndpoint] { sandbox.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) } }

    func cli(_ port: Int, _ args: [String], timeout: Double = 10) throws -> String {
        try sandbox.command(port, args, timeout: timeout)
    }

    func nodeID(port: Int) throws -> String {
        try cli(port, ["CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func close() { folder.close() }
}

/// Base class: one cluster per test class, started in `setUp()` of the class, stopped after it.
class LiveClusterTestCase: XCTestCase {
    nonisolated(unsafe) static var clusters: [ObjectIdentifier: LiveCluster] = [:]
    nonisolated(unsafe) static var failures: [ObjectIdentifier: String] = [:]
    class var replicasPerMaster: Int { 0 }

    override class func setUp() {
        super.setUp()
        // One retry: a port picked as free can be taken by another process before the node binds it.
        for attempt in 1...2 where clusters[ObjectIdentifier(self)] == nil {
            do {
                clusters[ObjectIdentifier(self)] = try LiveCluster(
                    label: "redis-\(self)", replicasPerMaster: replicasPerMaster)
            } catch {
                failures[ObjectIdentifier(self)] = "attempt \(attempt): \(error)"
            }
        }
    }

    override class func tearDown() {
        clusters.removeValue(forKey: ObjectIdentifier(self))?.close()
        super.tearDown()
    }

    /// The class's cluster; fails the test (not skips) when it could not start.
    func liveCluster() throws -> LiveCluster {
        let id = ObjectIdentifier(type(of: self))
        guard let c = Self.clusters[id] else {
            throw SandboxUnavailable(message: "Redis Cluster sandbox did not start: \(Self.failures[id] ?? "unknown")")
        }
        return c
    }

    func client(_ options: RedisOptions = RedisOptions()) throws -> RedisClusterClient {
        try RedisClusterClient(topology: .cluster(seeds: liveCluster().seeds), options: options)
    }
}

struct SandboxUnavailable: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
