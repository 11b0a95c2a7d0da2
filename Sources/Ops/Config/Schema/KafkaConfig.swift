/// `[kafka]`: the Kafka sink (one message per row change, key = table + primary key), also the
/// brokers the DR applier consumes from.
package struct KafkaConfig: Sendable, Equatable {
    package enum TopicMode: String, Sendable, Equatable, CaseIterable {
        /// One topic per table: `topic_prefix` + `db.table`.
        case perTable = "per-table"
        /// Every table into `topic`.
        case single
    }

    /// The change messages' encoding (docs/change-events.md).
    package enum MessageFormat: String, Sendable, Equatable, CaseIterable {
        /// sluice's change-event JSON with a `version` member.
        case sluice
        /// The Debezium MySQL connector's envelope, schemas disabled.
        case debezium
        /// Canal's flatMessage JSON.
        case canal
    }

    package enum Compression: String, Sendable, Equatable, CaseIterable {
        case none, gzip, snappy, lz4, zstd
    }

    package typealias TLSMode = ClientTLS.Mode
    package typealias TLS = ClientTLS

    package enum SASLMechanism: String, Sendable, Equatable, CaseIterable {
        case none
        case plain = "PLAIN"
        case scramSHA256 = "SCRAM-SHA-256"
        case scramSHA512 = "SCRAM-SHA-512"
    }

    package struct SASL: Sendable, Equatable {
        package var mechanism: SASLMechanism
        package var user: String?
        package var password: Secret?
    }

    /// Whether the daemon produces to Kafka.
    package var enabled: Bool
    package var brokers: [HostPort]
    package var topicMode: TopicMode
    package var topic: String?
    package var topicPrefix: String
    /// `topic_template`: the per-table topic after the prefix, `{db}` and `{table}` replaced.
    package var topicTemplate: String
    package var clientID: String
    /// How long a message may wait for delivery before the daemon halts; 0 = never give up.
    package var deliveryTimeoutMS: Int
    package var compression: Compression
    /// `sluice run` creates the missing topics of its mappings at start.
    package var createTopics: Bool
    package var topicPartitions: Int
    package var topicReplicationFactor: Int
    /// `format`: how each change message is encoded.
    package var format: MessageFormat
    /// `tombstones`: after each delete, a message with the same key and no value (for topics
    /// with `cleanup.policy=compact`).
    package var tombstones: Bool
    /// `transaction_metadata`: the transaction id and the event's order in it in every event.
    package var transactionMetadata: Bool
    /// `mask_salt` (or `mask_salt_file`, `mask_salt_credential`): prefixed to a value before a
    /// `kafka_mask_columns` hash, so the hashes of card numbers can't be looked up in a table.
    package var maskSalt: Secret?
    /// `ddl_topic`: where statement events (DDL: the statement, database, position, GTID) go;
    /// nil: not produced.
    package var ddlTopic: String?
    /// `transaction_topic`: where each transaction's BEGIN and END records (with per-table event
    /// counts) go; nil: not produced.
    package var transactionTopic: String?
    /// `watermark_interval_ms`: how often (at most, and also while idle) the daemon writes a DR
    /// watermark marker to every partition of its topics (docs/dr.md); 0 = never.
    package var watermarkIntervalMS: Int
    package var tls: TLS
    package var sasl: SASL
    /// `[kafka.properties]`: more librdkafka settings, passed through as written (librdkafka
    /// validates them when `run` or `dr-apply` starts).
    package var properties: [String: String]

    /// librdkafka settings sluice sets from its own keys (or must keep, like idempotence): a
    /// `[kafka.properties]` entry for one of them is refused with where it belongs.
    static let managedProperties: [String: String] = {
        var managed: [String: String] = [:]
        let owners: [(String, [String])] = [
            ("[kafka] brokers", ["bootstrap.servers", "metadata.broker.list"]),
            ("[kafka] client_id", ["client.id"]),
            ("[kafka] compression", ["compression.codec", "compression.type"]),
            ("[kafka] delivery_timeout_ms", ["message.timeout.ms", "delivery.timeout.ms"]),
            ("[kafka.tls]", [
                "security.protocol", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location",
                "enable.ssl.certificate.verification", "ssl.endpoint.identification.algorithm",
            ]),
            ("[kafka.sasl]", ["sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password"]),
            ("sluice itself: the producer is idempotent (acks=all, ordered retries; docs/daemon.md)", [
                "enable.idempotence", "acks", "request.required.acks", "max.in.flight.requests.per.connection",
                "max.in.flight", "enable.gapless.guarantee", "group.id", "enable.auto.commit",
                "enable.auto.offset.store", "isolation.level",
            ]),
        ]
        for (owner, keys) in owners {
            for key in keys { managed[key] = "set by \(owner), not in [kafka.properties]" }
        }
        return managed
    }()

    /// The topic of a table's row changes.
    package func topic(database: String, table: String) -> String {
        topicMode == .single ? (topic ?? "") : topicPrefix + Self.render(topicTemplate, database: database, table: table)
    }

    /// `template` with `{db}` and `{table}` replaced.
    package static func render(_ template: String, database: String, table: String) -> String {
        template.replacingOccurrences(of: "{db}", with: database).replacingOccurrences(of: "{table}", with: table)
    }

    /// - Parameters:
    ///   - consumedByDR: `[dr_apply]` is configured (it consumes from these brokers).
    ///   - hashMasks: some `[[mapping]]` hashes a column (`kafka_mask_columns` with `hash`).
    init(_ reader: TableReader, consumedByDR: Bool, hashMasks: Bool = false) {
        enabled = reader.bool("enabled", default: false)
        brokers = reader.hostPortArray("brokers", required: false) ?? []
        if enabled || consumedByDR, !reader.has("brokers") {
            reader.missing(
                "brokers", enabled ? "required when enabled = true" : "required by [dr_apply]",
                line: enabled ? reader.line(of: "enabled") : reader.line)
        }
        topicMode = reader.choice("topic_mode", default: TopicMode.perTable)
        topic = reader.nonEmptyString("topic")
        if topicMode == .single, !reader.has("topic") {
            reader.missing("topic", "required when topic_mode = \"single\"", line: reader.line(of: "topic_mode"))
        } else if topicMode == .perTable, reader.has("topic") {
            reader.badValue("topic", "only used with topic_mode = \"single\" (per-table uses topic_prefix)")
        }
        topicPrefix = reader.string("topic_prefix", default: "sluice.") ?? ""
        topicTemplate =
            reader.string("topic_template", default: "{db}.{table}") { text in
                let rest = text.replacingOccurrences(of: "{db}", with: "").replacingOccurrences(of: "{table}", with: "")
                if text.isEmpty { return "must not be empty" }
                if rest.contains("{") || rest.contains("}") { return "only {db} and {table} can be replaced, got \"\(text)\"" }
                return nil
            } ?? "{db}.{table}"
        clientID = reader.nonEmptyString("client_id", default: "sluice") ?? ""
        deliveryTimeoutMS = reader.integer("delivery_timeout_ms", default: 0, range: 0...Int(Int32.max)) ?? 0
        compression = reader.choice("compression", default: Compression.lz4)
        createTopics = reader.bool("create_topics", default: false)
        topicPartitions = reader.integer("topic_partitions", default: 6, range: 1...10_000) ?? 6
        topicReplicationFactor = reader.integer("topic_replication_factor", default: 3, range: 1...32) ?? 3
        format = reader.choice("format", default: MessageFormat.sluice)
        tombstones = reader.bool("tombstones", default: false)
        transactionMetadata = reader.bool("transaction_metadata", default: false)
        ddlTopic = reader.nonEmptyString("ddl_topic")
        transactionTopic = reader.nonEmptyString("transaction_topic")
        watermarkIntervalMS = reader.integer("watermark_interval_ms", default: 1000, range: 0...3_600_000) ?? 1000
        maskSalt = reader.secret("mask_salt")
        if hashMasks, maskSalt == nil, !["mask_salt", "mask_salt_file", "mask_salt_credential"].contains(where: reader.has) {
            reader.missing("mask_salt", "required when a [[mapping]] hashes a column (kafka_mask_columns \"column:hash\")")
        }

        let tlsReader = reader.table("tls")
        tls = ClientTLS(tlsReader, requireCA: false)
        reader.attach("tls", tlsReader)

        let saslReader = reader.table("sasl")
        let mechanism = saslReader.choice("mechanism", default: SASLMechanism.none)
        sasl = SASL(mechanism: mechanism, user: saslReader.nonEmptyString("user"), password: saslReader.secret())
        if mechanism != .none {
            if !saslReader.has("user") {
                saslReader.missing(
                    "user", "required when mechanism = \"\(mechanism.rawValue)\"",
                    line: saslReader.line(of: "mechanism"))
            }
            if !["password", "password_file", "password_credential"].contains(where: saslReader.has) {
                saslReader.missing(
                    "password",
                    "a password (password, password_file or password_credential) is required "
                        + "when mechanism = \"\(mechanism.rawValue)\"", line: saslReader.line(of: "mechanism"))
            }
        }
        reader.attach("sasl", saslReader)

        let propertiesReader = reader.table("properties")
        properties = propertiesReader.textMap(refusing: Self.managedProperties)
        reader.attach("properties", propertiesReader)
    }
}

/// `[dr_apply]`: the DR applier, consuming the Kafka row changes into a DR Redis cluster.
package struct DRApplyConfig: Sendable, Equatable {
    /// Topics consumed (default: the topics the daemon's mappings produce to).
    package var topics: [String]
    package var groupID: String
    /// Partition numbers to consume in every topic (empty = all). Always assigned explicitly;
    /// the group is never joined.
    package var partitions: [Int]
    /// The `[redis.*]` cluster written to.
    package var redisCluster: String
    /// What a gap (messages missing from a partition) does: stop, or report and go on.
    package var onGap: DRGapPolicy

    package enum DRGapPolicy: String, Sendable, Equatable, CaseIterable {
        /// Stop without applying past the gap (the default).
        case halt
        /// Count it, log it at error level, and go on.
        case alert
    }

    /// `redis_cluster`, read first because the mappings' default clusters depend on it.
    static func readCluster(_ reader: TableReader, clusterNames: [String]) -> String {
        let problem = { (name: String) -> String? in
            clusterNames.contains(name)
                ? nil
                : "no [redis.\(name)] cluster is configured"
                    + Suggestions.didYouMean(name, in: clusterNames, quote: "\"")
        }
        let name = reader.nonEmptyString("redis_cluster", default: "dr", check: problem) ?? ""
        if !reader.has("redis_cluster"), let message = problem(name) {
            reader.missing("redis_cluster", message + " (redis_cluster defaults to \"dr\")")
        }
        return name
    }

    /// - Parameter redisCluster: from `readCluster`.
    init(_ reader: TableReader, redisCluster: String, defaultTopics: [String]) {
        self.redisCluster = redisCluster
        topics =
            reader.stringArray(
                "topics", default: defaultTopics,
                check: { $0.isEmpty ? "topic name must not be empty" : nil }) ?? []
        if topics.isEmpty {
            reader.missing("topics", "no topics to consume: set topics, or add [[mapping]] tables to derive them")
        }
        groupID = reader.nonEmptyString("group_id", default: "sluice-dr") ?? ""
        onGap = reader.choice("on_gap", default: DRGapPolicy.halt)
        partitions =
            reader.array(
                "partitions", default: [], render: { String($0) },
                element: { item, _ in
                    guard case .integer(let number) = item.content else { return .wrongType("an integer") }
                    guard let partition = Int(exactly: number), partition >= 0, partition <= Int(Int32.max) else {
                        return .bad("partition must be 0 or more, got \(number)")
                    }
                    return .ok(partition)
                }) ?? []
    }
}
