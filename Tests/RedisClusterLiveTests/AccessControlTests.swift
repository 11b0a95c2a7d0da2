import XCTest

@testable import RedisCluster

/// A user limited to the commands and key patterns sluice needs works; one lacking them fails
/// with an error that says which permission and which key or command.
final class AccessControlTests: LiveClusterTestCase {
    /// The line documented in docs/redis.md, with the key patterns of this test.
    static func setUser(_ name: String, password: String, keys: [String], commands: String) -> [String] {
        ["ACL", "SETUSER", name, "reset", "on", ">\(password)"] + keys.map { "~\($0)" } + ["resetchannels"]
            + commands.split(separator: " ").map(String.init)
    }

    static let needed =
        "-@all +ping +asking +cluster|slots +cluster|shards +fcall +function|load +function|list +wait "
        + "+get +set +del +hget +hset +hdel +hgetall +pexpire +persist"

    private func createUser(_ name: String, keys: [String], commands: String) throws {
        let cluster = try liveCluster()
        for port in cluster.ports {
            let out = try cluster.cli(port, Self.setUser(name, password: "pw-\(name)", keys: keys, commands: commands))
            XCTAssertTrue(out.contains("OK"), out)
        }
    }

    private func applier(user: String, password: String? = nil) throws -> VersionedApplier {
        let c = try client(RedisOptions(username: user, password: password ?? "pw-\(user)"))
        return VersionedApplier(client: c, tombstoneTTLSeconds: 60)
    }

    func testLimitedUserAppliesRows() throws {
        try createUser("sluice", keys: ["acct:*", "sluice:*"], commands: Self.needed)
        let a = try applier(user: "sluice")
        try a.loadLibrary()
        let writes = (0..<200).map {
            VersionedWrite(key: "acct:\($0)", version: "1", value: .hash([.init("id", String($0))]))
        }
        XCTAssertEqual(try a.apply(writes), Array(repeating: .applied, count: 200))
        XCTAssertEqual(try a.apply([VersionedWrite(key: "acct:7", version: "2", value: .delete)]), [.applied])
        XCTAssertEqual(try a.apply([VersionedWrite(key: "acct:7", version: "1", value: .hash([]))]), [.staleRefused])
    }

    func testUserLackingAKeyPatternGetsAClearError() throws {
        try createUser("narrow", keys: ["other:*", "sluice:*"], commands: Self.needed)
        let a = try applier(user: "narrow")
        try a.loadLibrary()
        XCTAssertThrowsError(
            try a.apply([VersionedWrite(key: "acct:narrow", version: "1", value: .string(Array("x".utf8)))])
        ) { e in
            let err = e as? RedisError
            XCTAssertEqual(err?.code, .auth, "\(e)")
            XCTAssertTrue(err?.message.contains("'acct:narrow'") ?? false, "\(e)")
            XCTAssertTrue(err?.message.contains("can't access at least one of the keys") ?? false, "\(e)")
            XCTAssertNotNil(err?.node)
        }
    }

    func testUserLackingFCALLGetsAClearError() throws {
        try createUser(
            "nofcall", keys: ["acct:*", "sluice:*"], commands: Self.needed.replacingOccurrences(of: "+fcall ", with: "")
        )
        let a = try applier(user: "nofcall")
        try a.loadLibrary()
        XCTAssertThrowsError(try a.apply([VersionedWrite(key: "acct:2", version: "1", value: .delete)])) { e in
            let err = e as? RedisError
            XCTAssertEqual(err?.code, .auth, "\(e)")
            XCTAssertTrue(err?.message.contains("fcall") ?? false, "\(e)")
        }
    }

    func testWrongPasswordFailsAtConnect() throws {
        try createUser("sluice2", keys: ["acct:*"], commands: Self.needed)
        XCTAssertThrowsError(try applier(user: "sluice2", password: "wrong")) { e in
            let err = e as? RedisError
            XCTAssertEqual(err?.code, .auth, "\(e)")
            XCTAssertTrue(err?.message.contains("AUTH as sluice2 refused") ?? false, "\(e)")
        }
    }
}
