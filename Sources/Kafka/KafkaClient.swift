import CRdKafka

/// Owns one `rd_kafka_t` (producer or consumer) and destroys it in deinit. Producer and consumer
/// wrappers hold one each; the parts common to both live here.
final class KafkaClient {
    let handle: OpaquePointer

    /// `settings` are librdkafka configuration properties; an unknown or invalid one throws with
    /// librdkafka's explanation. `configure` may adjust the conf (e.g. enable events) before creation.
    init(
        type: rd_kafka_type_t, settings: [String: String], configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_conf_new")
        }
        do {
            try KafkaLibrary.set(settings, on: conf)
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }
        var errorText = [CChar](repeating: 0, count: 512)
        configure(conf)
        // On success rd_kafka_new takes the conf; on failure it stays ours.
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: KafkaLibrary.text(errorText), context: "rd_kafka_new")
        }
        self.handle = handle
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Asks a broker for the cluster's brokers and all topics with their partition counts.
    func metadata(timeoutMilliseconds: Int32) throws(KafkaError) -> KafkaMetadata {
        var raw: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(handle, 1, nil, &raw, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata = raw else {
            throw KafkaError(result, context: "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokerList = UnsafeBufferPointer(start: metadata.pointee.brokers, count: Int(metadata.pointee.broker_cnt))
        let topicList = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        return KafkaMetadata(
            brokers: brokerList.map {
                KafkaMetadata.Broker(id: $0.id, host: $0.host.map { String(cString: $0) } ?? "", port: Int($0.port))
            },
            topics: topicList.map {
                KafkaMetadata.Topic(
                    name: $0.topic.map { String(cString: $0) } ?? "", partitionCount: Int($0.partition_cnt),
                    error: $0.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2name($0.err)))
            })
    }
}
