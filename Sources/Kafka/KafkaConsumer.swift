import CRdKafka
import Foundation
import Timekeeping

/// A consumer over librdkafka reading explicitly assigned partitions (`assign`), never a
/// subscribed consumer group: no group join, so it reads at once. Offsets are not committed to
/// the broker; the caller keeps its own position. Not thread-safe: use from one thread at a time.
package final class KafkaConsumer {
    private let client: KafkaClient

    /// `settings` are librdkafka properties (at least `bootstrap.servers`). librdkafka's assign API
    /// needs a `group.id`; a private one is made up when none is given (it is never joined).
    package init(settings: [String: String]) throws(KafkaError) {
        var settings = settings
        if settings["group.id"] == nil {
            settings["group.id"] = "sluice-assigned-\(UUID().uuidString.lowercased())"
        }
        settings["enable.auto.commit"] = settings["enable.auto.commit"] ?? "false"
        settings["enable.auto.offset.store"] = settings["enable.auto.offset.store"] ?? "false"
        client = try KafkaClient(type: RD_KAFKA_CONSUMER, settings: settings)
        let redirected = rd_kafka_poll_set_consumer(client.handle)
        guard redirected == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(redirected, context: "rd_kafka_poll_set_consumer")
        }
    }

    deinit {
        rd_kafka_consumer_close(client.handle)
    }

    /// Replaces the assignment with these partitions, each read from its offset.
    package func assign(_ partitions: [KafkaPartitionOffset]) throws(KafkaError) {
        guard let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count)) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_topic_partition_list_new")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset =
                partition.offset
        }
        let result = rd_kafka_assign(client.handle, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let names = partitions.map { "\($0.topic)[\($0.partition)]@\($0.offset)" }.joined(separator: ", ")
            throw KafkaError(result, context: "assign \(names)")
        }
    }

    /// The next message, or nil when none arrived within `timeoutMilliseconds` (or a partition's
    /// end was reached with `enable.partition.eof`). A consumer error throws, naming the partition.
    package func poll(timeoutMilliseconds: Int32 = 1_000) throws(KafkaError) -> KafkaMessage? {
        guard let raw = rd_kafka_consumer_poll(client.handle, timeoutMilliseconds) else { return nil }
        defer { rd_kafka_message_destroy(raw) }
        let message = raw.pointee
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        switch message.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            break
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return nil
        default:
            let detail = rd_kafka_message_errstr(raw).map { String(cString: $0) }
            throw KafkaError(
                message.err, message: detail, context: "consume \(topic)[\(message.partition)]@\(message.offset)")
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
        return KafkaMessage(
            topic: topic, partition: message.partition, offset: message.offset,
            key: Self.bytes(message.key, message.key_len), value: Self.bytes(message.payload, message.len),
            headers: Self.headers(of: raw),
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    /// Polls until `count` messages arrived or `timeoutMilliseconds` passed; returns what came.
    package func poll(count: Int, timeoutMilliseconds: Int32) throws(KafkaError) -> [KafkaMessage] {
        let deadline = Deadline(in: Double(timeoutMilliseconds) / 1000)
        var messages: [KafkaMessage] = []
        while messages.count < count {
            let left = deadline.secondsLeft
            if left <= 0 { break }
            if let message = try poll(timeoutMilliseconds: Int32(min(left * 1000, 500)) + 1) {
                messages.append(message)
            }
        }
        return messages
    }

    /// Waits up to `timeoutMilliseconds` for a first message, then adds (up to `count` in all)
    /// only those already fetched, without waiting for more: a batch as large as what is there.
    package func pollAvailable(count: Int, timeoutMilliseconds: Int32) throws(KafkaError) -> [KafkaMessage] {
        guard let first = try poll(timeoutMilliseconds: timeoutMilliseconds) else { return [] }
        var messages = [first]
        while messages.count < count, let more = try poll(timeoutMilliseconds: 0) { messages.append(more) }
        return messages
    }

    /// Brokers and topics as the cluster reports them.
    package func metadata(timeoutMilliseconds: Int32 = 5_000) throws(KafkaError) -> KafkaMetadata {
        try client.metadata(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The partition's low and high watermarks as the last fetch response gave them (no request
    /// is made), nil before the partition's first fetch. Preferred to a ListOffsets query
    /// (`rd_kafka_query_watermark_offsets`), which some brokers answer wrongly (Tansu reports a
    /// high watermark of 1 for a partition holding 70 messages).
    package func fetchedWatermarks(topic: String, partition: Int32) -> (low: Int64, high: Int64)? {
        var low: Int64 = -1001
        var high: Int64 = -1001
        let result = rd_kafka_get_watermark_offsets(client.handle, topic, partition, &low, &high)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, low >= 0, high >= 0 else { return nil }
        return (low, high)
    }

    private static func bytes(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8]? {
        guard let pointer else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    private static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        var headers: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            headers.append(KafkaHeader(name.map { String(cString: $0) } ?? "", bytes))
            index += 1
        }
        return headers
    }
}
