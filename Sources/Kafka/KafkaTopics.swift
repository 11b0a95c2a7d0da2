import CRdKafka

/// Topic creation through the Kafka admin API (`CreateTopics`), for `[kafka] create_topics`.
package enum KafkaTopics {
    /// Creates each of `topics` that does not exist yet with `partitions` partitions and
    /// `replicationFactor` replicas, over a client made from `settings`; returns the names it
    /// created (an existing topic is left as it is, whatever its layout). Throws naming the topic
    /// a broker refused.
    package static func create(
        _ topics: [String], partitions: Int, replicationFactor: Int, settings: [String: String],
        timeoutMilliseconds: Int32 = 30_000
    ) throws(KafkaError) -> [String] {
        guard !topics.isEmpty else { return [] }
        let client = try KafkaClient(type: RD_KAFKA_PRODUCER, settings: settings)
        var errorText = [CChar](repeating: 0, count: 512)
        var requests: [OpaquePointer?] = []
        defer { for request in requests { rd_kafka_NewTopic_destroy(request) } }
        for topic in topics {
            guard
                let request = rd_kafka_NewTopic_new(
                    topic, Int32(partitions), Int32(replicationFactor), &errorText, errorText.count)
            else {
                throw KafkaError(
                    RD_KAFKA_RESP_ERR__INVALID_ARG, message: KafkaLibrary.text(errorText), context: "topic \(topic)")
            }
            requests.append(request)
        }
        guard let queue = rd_kafka_queue_new(client.handle) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_queue_new")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        requests.withUnsafeMutableBufferPointer {
            rd_kafka_CreateTopics(client.handle, $0.baseAddress, $0.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 5_000) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "creating topics \(topics.joined(separator: ", "))")
        }
        defer { rd_kafka_event_destroy(event) }
        let failure = rd_kafka_event_error(event)
        guard failure == RD_KAFKA_RESP_ERR_NO_ERROR, let result = rd_kafka_event_CreateTopics_result(event) else {
            let message = rd_kafka_event_error_string(event).map { String(cString: $0) }
            throw KafkaError(failure, message: message, context: "creating topics \(topics.joined(separator: ", "))")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
        var created: [String] = []
        for index in 0..<count {
            guard let answer = results[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(answer))
            let code = rd_kafka_topic_result_error(answer)
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                created.append(name)
            } else if code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let message = rd_kafka_topic_result_error_string(answer).map { String(cString: $0) }
                throw KafkaError(code, message: message, context: "creating topic \(name)")
            }
        }
        return created
    }
}
