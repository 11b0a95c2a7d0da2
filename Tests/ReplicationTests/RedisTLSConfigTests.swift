import Foundation
import Ops
import RedisCluster
import XCTest

@testable import Replication

/// `[redis.NAME.tls]`: the modes of `[source.tls]` less "preferred", `ca` required for the
/// verifying modes, and the connection options it becomes.
final class RedisTLSConfigTests: XCTestCase {
    private func load(_ tls: String) throws -> Result<SluiceConfig.Loaded, ConfigErrors> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-redis-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pem = folder.appendingPathComponent("ca.pem").path
        try "pem".write(toFile: pem, atomically: true, encoding: .utf8)
        let path = folder.appendingPathComponent("sluice.toml").path
        let text = """
            [source]
            user = "repl"
            server_id = 7

            [redis.primary]
            seeds = ["localhost:6380"]
            [redis.primary.tls]
            \(tls.replacingOccurrences(of: "PEM", with: pem))

            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return SluiceConfig.load(path: path, environment: [:])
    }

    func testModesBecomeConnectionOptions() throws {
        let loaded = try load("mode = \"verify-identity\"\nca = \"PEM\"\ncert = \"PEM\"\nkey = \"PEM\"").get()
        let options = RedisOptions(config: try XCTUnwrap(loaded.config.redis.first))
        let tls = try XCTUnwrap(options.tls)
        XCTAssertEqual(tls.mode, .verifyIdentity)
        XCTAssertTrue(tls.ca?.hasSuffix("/ca.pem") ?? false)
        XCTAssertEqual(tls.cert, tls.ca)
        XCTAssertEqual(tls.key, tls.ca)
        let plain = try load("mode = \"disabled\"").get()
        XCTAssertNil(RedisOptions(config: try XCTUnwrap(plain.config.redis.first)).tls)
        let required = try load("mode = \"required\"").get()
        XCTAssertEqual(RedisOptions(config: try XCTUnwrap(required.config.redis.first)).tls, RedisTLS(mode: .required))
    }

    func testPreferredAndMissingCAAreRefused() throws {
        for (tls, expected) in [
            ("mode = \"preferred\"", "redis.primary.tls.mode"),
            ("mode = \"verify-ca\"", "redis.primary.tls.ca: required when mode is \"verify-ca\""),
            ("mode = \"required\"\ncert = \"PEM\"", "cert and key go together"),
        ] {
            guard case .failure(let errors) = try load(tls) else { return XCTFail("\(tls) was accepted") }
            XCTAssertTrue(errors.description.contains(expected), "\(tls): \(errors.description)")
        }
    }
}
