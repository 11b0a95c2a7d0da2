import TestSupport
import XCTest

@testable import RedisCluster

/// The same client and apply against one plain (non-cluster) redis-server.
final class StandaloneTests: XCTestCase {
    func testStandaloneApplyAndPipeline() throws {
        let folder = try SandboxFolder(label: "redis-standalone")
        defer { folder.close() }
        let port = try PortAllocator().pick()
        let dir = try folder.subfolder("standalone")
        let server = try folder.start(
            service: "redis", executable: "/usr/bin/redis-server",
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir, "--daemonize", "no",
            ],
            workingDirectory: dir, logPath: "\(dir)/redis.log")
        defer { folder.stop(server) }
        let node = RedisEndpoint(host: "127.0.0.1", port: port)
        var client: RedisClusterClient?
        eventually(timeout: 10, interval: 0.05) {
            client = try? RedisClusterClient(topology: .standalone(node))
            return client != nil
        }
        let c = try XCTUnwrap(client, "redis-server on \(port) did not come up")
        XCTAssertFalse(c.isCluster)
        XCTAssertEqual(c.masters, [node])
        let replies = try c.pipeline(
            (0..<500).map { (RedisCommand("SET", "s:\($0)", String($0)), HashSlot.slot(of: "s:\($0)")) })
        XCTAssertTrue(replies.allSatisfy { $0 == .status("OK") })
        XCTAssertEqual(try c.send(RedisCommand("GET", "s:499"), key: "s:499").text, "499")

        let a = VersionedApplier(client: c, tombstoneTTLSeconds: 60)
        try a.loadLibrary()
        let writes = (0..<500).map {
            VersionedWrite(key: "acct:\($0)", version: "2", value: .hash([.init("n", String($0))]))
        }
        XCTAssertEqual(try a.apply(writes), Array(repeating: .applied, count: 500))
        XCTAssertEqual(try a.apply([VersionedWrite(key: "acct:1", version: "1", value: .delete)]), [.staleRefused])
        XCTAssertEqual(try c.send(RedisCommand("HGET", "acct:1", "n"), key: "acct:1").text, "1")
    }
}
