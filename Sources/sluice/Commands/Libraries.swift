import Kafka
import MySQLSource
import Ops
import RedisCluster
import Replication

/// The C libraries sluice runs on, as loaded: `sluice --version` lists them, and the services
/// refuse a librdkafka older than the tested one before they connect anything.
enum Libraries {
    static func loaded() -> [LoadedLibrary] {
        let hiredisPath = LoadedLibrary.file(defining: HiredisLibrary.symbol)
        return [
            LoadedLibrary(
                name: "libmariadb", version: MariaDBLibrary.version,
                path: LoadedLibrary.file(defining: MariaDBLibrary.symbol)),
            LoadedLibrary(
                name: "hiredis",
                version: hiredisPath.flatMap(LoadedLibrary.fileNameVersion)
                    ?? "\(HiredisLibrary.headerVersion) (headers)",
                path: hiredisPath),
            LoadedLibrary(
                name: "librdkafka", version: KafkaLibrary.version.text,
                path: LoadedLibrary.file(defining: KafkaLibrary.symbol)),
        ]
    }

    /// Throws (exit 2: restarting cannot help) when the loaded librdkafka is older than the tested one.
    static func requireTestedKafka() throws {
        do {
            try KafkaLibrary.requireTested(path: LoadedLibrary.file(defining: KafkaLibrary.symbol))
        } catch {
            throw Refused(description: error.description)
        }
    }

    /// Throws (exit 2) when librdkafka refuses a setting of the configuration's Kafka clients
    /// (a `[kafka.properties]` entry above all), naming the key.
    static func validateKafka(_ config: SluiceConfig, producer: Bool) throws {
        let settings = producer ? KafkaSink.Settings(config: config.kafka).properties : config.kafka.clientProperties
        do {
            try KafkaLibrary.validate(settings)
        } catch {
            let key = error.context.hasPrefix("setting ") ? String(error.context.dropFirst("setting ".count)) : "?"
            throw Refused(
                description: "Kafka setting \"\(key)\" refused by librdkafka: \(error.message) "
                    + "(from [kafka.properties] or the [kafka] key that sets it)")
        }
    }

    /// `[kafka] create_topics`: creates the missing topics of the mappings; returns their names.
    static func createKafkaTopics(_ config: SluiceConfig) throws -> [String] {
        let kafka = config.kafka
        guard kafka.enabled, kafka.createTopics else { return [] }
        let topics = Set(config.mappings.map { kafka.topic(database: $0.database, table: $0.table) }).sorted()
        return try KafkaTopics.create(
            topics, partitions: kafka.topicPartitions, replicationFactor: kafka.topicReplicationFactor,
            settings: kafka.clientProperties)
    }

    struct Refused: ExitCodeError, CustomStringConvertible {
        let description: String
        var exitCode: ExitCode { .usage }
    }
}
