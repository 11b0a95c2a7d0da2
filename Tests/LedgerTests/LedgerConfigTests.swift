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

    func testRiskClassesAreReadAtTheAmountScale() throws {
        let loaded = try load(
            """
            [redis.primary]
            seeds = ["127.0.0.1:7000"]
            [ledger]
            journal_dir = "journal"
            redis_cluster = "primary"
            amount_scale = 3
            [[ledger.shard]]
            user = "a"
            [ledger.risk]
            default_class = "retail"
            [[ledger.risk.class]]
            name = "retail"
            daily_limit = "250.5"
            per_minute = 10
            anomaly_factor = 4
            [[ledger.risk.class]]
            name = "corporate"
            """
        ).get()
        let risk = try XCTUnwrap(loaded.config.ledger?.risk)
        XCTAssertEqual(risk.reservationTTLMS, 30_000)
        XCTAssertEqual(
            risk.classes,
            [
                .init(name: "retail", dailyLimitMinor: 250_500, perMinute: 10, anomalyFactor: 4),
                .init(name: "corporate", dailyLimitMinor: nil, perMinute: 0, anomalyFactor: 0),
            ])
    }

    func testRiskMistakesAreNamed() {
        guard
            case .failure(let errors) = load(
                """
                [ledger]
                journal_dir = "journal"
                [[ledger.shard]]
                user = "a"
                [ledger.risk]
                default_class = "gold"
                anomaly_window = 2
                anomaly_min_samples = 3
                [[ledger.risk.class]]
                name = "silver"
                daily_limit = "1.234"
                [[ledger.risk.class]]
                name = "bronze"
                daily_limit = "-5"
                """)
        else { return XCTFail("accepted") }
        let text = errors.description
        XCTAssertTrue(text.contains("ledger.redis_cluster: [ledger.risk] keeps its counters"), text)
        XCTAssertTrue(
            text.contains(
                "l.toml:11: ledger.risk.class[0].daily_limit: must be an exact decimal amount with at most 2"),
            text)
        XCTAssertTrue(text.contains("l.toml:14: ledger.risk.class[1].daily_limit: must be an exact decimal"), text)
        guard
            case .failure(let more) = load(
                """
                [redis.primary]
                seeds = ["127.0.0.1:7000"]
                [ledger]
                journal_dir = "journal"
                redis_cluster = "primary"
                [[ledger.shard]]
                user = "a"
                [ledger.risk]
                default_class = "gold"
                [[ledger.risk.class]]
                name = "silver"
                """)
        else { return XCTFail("accepted") }
        XCTAssertTrue(
            more.description.contains(
                #"ledger.risk.default_class: no [[ledger.risk.class]] is named "gold" (defined: silver)"#),
            more.description)
    }
}
