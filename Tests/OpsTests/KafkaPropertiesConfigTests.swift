import Foundation
import TestHelpers
import XCTest

@testable import Ops

/// `[kafka.properties]`: librdkafka settings passed through as text; the keys sluice sets itself
/// are refused with where they belong; secrets are masked; and the built binary refuses an
/// unknown property at start, naming it.
final class KafkaPropertiesConfigTests: ConfigTestCase {
    private let kafka = """
        [kafka]
        enabled = true
        brokers = ["127.0.0.1:1"]
        [kafka.properties]

        """

    func testPropertiesPassThroughAsText() throws {
        let loaded = try valid(
            ConfigTestCase.minimal + kafka
                + "\"linger.ms\" = 5\n\"socket.keepalive.enable\" = true\n\"ssl.key.password\" = \"hunter2\"\n")
        XCTAssertEqual(
            loaded.config.kafka.properties,
            ["linger.ms": "5", "socket.keepalive.enable": "true", "ssl.key.password": "hunter2"])
        XCTAssertTrue(loaded.effective.contains("\"linger.ms\" = \"5\""), loaded.effective)
        XCTAssertTrue(loaded.effective.contains("\"ssl.key.password\" = \"********\""), loaded.effective)
        XCTAssertFalse(loaded.effective.contains("hunter2"))
    }

    func testManagedKeysAndTablesAreRefused() throws {
        let errors = try errors(
            ConfigTestCase.minimal + kafka + "\"enable.idempotence\" = false\n\"bootstrap.servers\" = \"x:1\"\n\"a.b\" = [1]\n")
        XCTAssertEqual(
            errors,
            [
                "sluice.toml:11: kafka.properties.enable.idempotence: set by sluice itself: the producer is idempotent (acks=all, ordered retries; docs/daemon.md), not in [kafka.properties]",
                "sluice.toml:12: kafka.properties.bootstrap.servers: set by [kafka] brokers, not in [kafka.properties]",
                "sluice.toml:13: kafka.properties.a.b: expected a string, number or boolean, got array",
            ].sorted(), errors.joined(separator: "\n"))
    }

    func testBinaryRefusesAnUnknownPropertyAtStart() throws {
        let binary = try BuiltBinary.path()
        let path = try write("bad.toml", ConfigTestCase.minimal + kafka + "\"no.such.property\" = \"1\"\n")
        let result = try BuiltBinary.run(binary, ["run", "--config", path])
        XCTAssertEqual(result.status, 2, result.err)
        XCTAssertTrue(
            result.err.hasPrefix(
                "sluice: error: Kafka setting \"no.such.property\" refused by librdkafka: No such configuration property"),
            result.err)
    }
}
