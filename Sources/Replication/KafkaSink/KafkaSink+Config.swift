import Ops

extension KafkaSink.Settings {
    /// From a validated `[kafka]` section: brokers, client id, compression, delivery timeout
    /// (0 = never give up), TLS and SASL as librdkafka properties.
    /// - Parameter mappings: the `[[mapping]]` tables, for their Kafka column rules.
    package init(config c: KafkaConfig, mappings: [MappingConfig] = []) {
        var p = c.clientProperties
        p["compression.codec"] = c.compression.rawValue
        p["message.timeout.ms"] = String(c.deliveryTimeoutMS)
        self.init(
            properties: p, topicPrefix: c.topicPrefix, singleTopic: c.topicMode == .single ? c.topic : nil,
            format: c.format, tombstones: c.tombstones, transactionMetadata: c.transactionMetadata,
            serverName: c.clientID)
        ddlTopic = c.ddlTopic
        transactionTopic = c.transactionTopic
        topicTemplate = c.topicTemplate
        let salt = c.maskSalt?.revealed ?? ""
        for m in mappings where !m.kafkaExcludeColumns.isEmpty || !m.kafkaMaskColumns.isEmpty || !m.kafkaKeyColumns.isEmpty {
            tables[m.qualifiedTable] = KafkaColumnRules(config: m, salt: salt)
        }
    }
}
