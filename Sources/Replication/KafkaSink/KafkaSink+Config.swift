import Ops

extension KafkaSink.Settings {
    /// From a validated `[kafka]` section: brokers, client id, compression, delivery timeout
    /// (0 = never give up), TLS and SASL as librdkafka properties.
    /// - Parameter mappings: the `[[mapping]]` tables, for their Kafka column rules.
    public init(config c: KafkaConfig, mappings: [MappingConfig] = []) {
        var p: [String: String] = [
            "bootstrap.servers": c.brokers.map(\.description).joined(separator: ","),
            "client.id": c.clientID,
            "compression.codec": c.compression.rawValue,
            "message.timeout.ms": String(c.deliveryTimeoutMS),
        ]
        let tls = c.tls.mode != .disabled
        let sasl = c.sasl.mechanism != .none
        p["security.protocol"] = tls ? (sasl ? "sasl_ssl" : "ssl") : (sasl ? "sasl_plaintext" : "plaintext")
        if tls {
            p["enable.ssl.certificate.verification"] = c.tls.mode == .required ? "false" : "true"
            p["ssl.endpoint.identification.algorithm"] = c.tls.mode == .verifyIdentity ? "https" : "none"
            if let ca = c.tls.files.ca { p["ssl.ca.location"] = ca }
            if let cert = c.tls.files.cert { p["ssl.certificate.location"] = cert }
            if let key = c.tls.files.key { p["ssl.key.location"] = key }
        }
        if sasl {
            p["sasl.mechanisms"] = c.sasl.mechanism.rawValue
            if let user = c.sasl.user { p["sasl.username"] = user }
            if let password = c.sasl.password { p["sasl.password"] = password.revealed }
        }
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
