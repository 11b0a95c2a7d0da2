import Ops

extension KafkaSink.Settings {
    /// From a validated `[kafka]` section: brokers, client id, compression, delivery timeout
    /// (0 = never give up), TLS and SASL as librdkafka properties.
    public init(config c: KafkaConfig) {
        var p = c.clientProperties
        p["compression.codec"] = c.compression.rawValue
        p["message.timeout.ms"] = String(c.deliveryTimeoutMS)
        self.init(properties: p, topicPrefix: c.topicPrefix, singleTopic: c.topicMode == .single ? c.topic : nil)
    }
}
