import XCTest

@testable import Ops

/// `[kafka] format`, `tombstones`, `transaction_metadata`, `mask_salt` and the `[[mapping]]`
/// Kafka column keys (`kafka_exclude_columns`, `kafka_mask_columns`, `kafka_key_columns`).
final class KafkaColumnConfigTests: ConfigTestCase {
    private func config(kafka: String = "", mapping: String = "", dr: Bool = false) -> String {
        Self.minimal + (dr ? "[redis.dr]\nseeds = [\"d:1\"]\n[dr_apply]\ntopics = [\"t\"]\n" : "")
            + "[kafka]\nenabled = true\nbrokers = [\"k:1\"]\n" + kafka
            + "[[mapping]]\ntable = \"pay.cards\"\nkey = \"card:{id}\"\n" + mapping
    }

    func testFormatAndMaskKeysAreRead() throws {
        let loaded = try valid(
            config(
                kafka:
                    "format = \"debezium\"\ntombstones = true\ntransaction_metadata = true\nmask_salt = \"pepper\"\n",
                mapping: """
                    kafka_exclude_columns = ["cvv"]
                    kafka_mask_columns = ["pan:keep-last-4", "email:hash"]
                    kafka_key_columns = ["account_id"]

                    """))
        let k = loaded.config.kafka
        XCTAssertEqual(k.format, .debezium)
        XCTAssertTrue(k.tombstones)
        XCTAssertTrue(k.transactionMetadata)
        XCTAssertEqual(k.maskSalt?.revealed, "pepper")
        XCTAssertFalse(loaded.effective.contains("pepper"), "the salt is a secret: never printed")
        let m = try XCTUnwrap(loaded.config.mappings.first)
        XCTAssertEqual(m.kafkaExcludeColumns, ["cvv"])
        XCTAssertEqual(
            m.kafkaMaskColumns,
            [.init(column: "pan", rule: .keepLast(4)), .init(column: "email", rule: .hash)])
        XCTAssertEqual(m.kafkaKeyColumns, ["account_id"])
        XCTAssertEqual(try valid(config()).config.kafka.format, .sluice, "default")
    }

    func testTopicTemplate() throws {
        let k = try valid(config(kafka: "topic_prefix = \"cdc.\"\ntopic_template = \"{db}-{table}\"\n")).config.kafka
        XCTAssertEqual(k.topic(database: "pay", table: "cards"), "cdc.pay-cards")
        XCTAssertEqual(try valid(config()).config.kafka.topic(database: "pay", table: "cards"), "sluice.pay.cards")
        let bad = try errors(config(kafka: "topic_template = \"{schema}.{table}\"\n"))
        XCTAssertTrue(bad.contains { $0.contains("only {db} and {table} can be replaced") }, "\(bad)")
    }

    func testRefusedCombinationsSayWhy() throws {
        let unknown = try errors(config(kafka: "format = \"avro\"\n"))
        XCTAssertTrue(unknown.contains { $0.contains("kafka.format") && $0.contains("\"debezium\"") }, "\(unknown)")
        let badRule = try errors(config(mapping: "kafka_mask_columns = [\"pan:stars\"]\n"))
        XCTAssertTrue(badRule.contains { $0.contains("unknown mask \"stars\" for column pan") }, "\(badRule)")
        let noSalt = try errors(config(mapping: "kafka_mask_columns = [\"pan:hash\"]\n"))
        XCTAssertTrue(noSalt.contains { $0.contains("mask_salt") && $0.contains("hashes a column") }, "\(noSalt)")
        let both = try errors(
            config(mapping: "kafka_exclude_columns = [\"pan\"]\nkafka_mask_columns = [\"pan:keep-last-4\"]\n"))
        XCTAssertTrue(both.contains { $0.contains("pan is also in kafka_exclude_columns") }, "\(both)")
        let leak = try errors(
            config(mapping: "kafka_mask_columns = [\"pan:keep-last-4\"]\nkafka_key_columns = [\"pan\"]\n"))
        XCTAssertTrue(leak.contains { $0.contains("the message key would carry its value") }, "\(leak)")
        // The DR applier applies the mapping to the Kafka messages: its key column must arrive.
        let dr = try errors(config(mapping: "kafka_exclude_columns = [\"id\"]\n", dr: true))
        XCTAssertTrue(dr.contains { $0.contains("id is used by this mapping") && $0.contains("[dr_apply]") }, "\(dr)")
        XCTAssertTrue(try load(config(mapping: "kafka_exclude_columns = [\"cvv\"]\n", dr: true)).1.isEmpty)
    }
}
