import Ops
import XCTest

/// `[ledger]` and `[[ledger.shard]]`: defaults, and each mistake named at its line.
final class LedgerConfigTests: XCTestCase {
    private func load(_ text: String) -> Result<SluiceConfig.Loaded, ConfigErrors> {
        SluiceConfig.parse(text, file: "l.toml", directory: "/etc/sluice", environment: [:])
    }

    func testALedgerOnlyConfigurationWithDefaults() throws {
        let loaded = try load(
            """
            [ledger]
            journal_dir = "journal"
            [[ledger.shard]]
            user = "a"
            [[ledger.shard]]
            host = "db2"
            user = "b"
            """
        ).get()
        let ledger = try XCTUnwrap(loaded.config.ledger)
        XCTAssertEqual(ledger.name, "ledger")
        XCTAssertEqual(ledger.journalDirectory, "/etc/sluice/journal")
        XCTAssertEqual(ledger.listen, HostPort(host: "127.0.0.1", port: 8480))
        XCTAssertNil(ledger.redisCluster)
        XCTAssertEqual(ledger.accountKey, "account:{id}")
        XCTAssertEqual(ledger.shards.map(\.host), ["127.0.0.1", "db2"])
        XCTAssertEqual(ledger.shards.map(\.database), ["ledger", "ledger"])
        XCTAssertEqual([ledger.cache.entries, ledger.cache.ttlMS, ledger.cache.hotAccounts], [100_000, 1000, 1000])
        XCTAssertTrue(loaded.effective.contains("[[ledger.shard]]\nhost = \"db2\""), loaded.effective)
    }

    func testMistakesAreNamed() {
        guard
            case .failure(let errors) = load(
                """
                [ledger]
                name = "has space"
                redis_cluster = "nope"
                account_key = "acct"
                cache_ttl_ms = 0
                """)
        else { return XCTFail("accepted") }
        let text = errors.description
        XCTAssertTrue(text.contains("l.toml:2: ledger.name: "), text)
        XCTAssertTrue(text.contains("ledger.journal_dir"), text)
        XCTAssertTrue(text.contains("l.toml:3: ledger.redis_cluster: no [redis.nope]"), text)
        XCTAssertTrue(text.contains("l.toml:4: ledger.account_key: must contain {id}"), text)
        XCTAssertTrue(text.contains("l.toml:5: ledger.cache_ttl_ms: "), text)
        XCTAssertTrue(text.contains("ledger.shard: the ledger needs at least one [[ledger.shard]]"), text)
    }
}
