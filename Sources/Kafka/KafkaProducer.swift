import CRdKafka
import Foundation
import Timekeeping

/// A producer over librdkafka. Messages go out with `rd_kafka_produceva` (argv style); delivery
/// reports come back through librdkafka's event queue and are returned by `poll` and `flush`,
/// each tagged with the id `produce` returned. Not thread-safe: use from one thread at a time.
package final class KafkaProducer {
    private let client: KafkaClient
    private let queue: OpaquePointer
    private var nextID: UInt64 = 1
    private var pending: Set<UInt64> = []

    /// `settings` are librdkafka properties (at least `bootstrap.servers`); `idempotent` sets
    /// `enable.idempotence` (which also implies acks=all and bounded in-flight requests).
    package init(settings: [String: String], idempotent: Bool = false) throws(KafkaError) {
        var settings = settings
        settings["enable.idempotence"] = idempotent ? "true" : "false"
        client = try KafkaClient(type: RD_KAFKA_PRODUCER, settings: settings) { conf in
            rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR))
        }
        guard let queue = rd_kafka_queue_get_main(client.handle) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_queue_get_main")
        }
        self.queue = queue
    }

    deinit {
        rd_kafka_queue_destroy(queue)
    }

    /// The latest non-fatal client error (e.g. all brokers down), for logs while deliveries wait;
    /// librdkafka recovers from these by itself.
    package private(set) var lastClientError: KafkaError?

    /// Messages produced whose delivery report has not been returned yet.
    package var outstanding: Int { pending.count }

    /// Queues one message (copied by librdkafka) and returns its id for the delivery report.
    /// `partition` nil lets the partitioner choose from the key. A nil value is a tombstone.
    @discardableResult
    package func produce(
        topic: String, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [], partition: Int32? = nil
    ) throws(KafkaError) -> UInt64 {
        let id = nextID
        let arena = CArena()
        var fields: [rd_kafka_vu_t] = []
        func field(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
            var entry = rd_kafka_vu_t()
            entry.vtype = type
            fill(&entry)
            fields.append(entry)
        }
        field(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = arena.cString(topic) }
        if let partition { field(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
        if let key {
            field(RD_KAFKA_VTYPE_KEY) {
                $0.u.mem.ptr = arena.bytes(key)
                $0.u.mem.size = key.count
            }
        }
        if let value {
            field(RD_KAFKA_VTYPE_VALUE) {
                $0.u.mem.ptr = arena.bytes(value)
                $0.u.mem.size = value.count
            }
        }
        for header in headers {
            field(RD_KAFKA_VTYPE_HEADER) {
                $0.u.header.name = arena.cString(header.name)
                $0.u.header.val = header.value.map { UnsafeRawPointer(arena.bytes($0)) }
                $0.u.header.size = header.value.map { $0.count } ?? -1
            }
        }
        field(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
        field(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }

        if let error = rd_kafka_produceva(client.handle, fields, fields.count) {
            defer { rd_kafka_error_destroy(error) }
            throw KafkaError(
                rd_kafka_error_code(error), message: String(cString: rd_kafka_error_string(error)),
                context: "produce to \(topic)\(partition.map { "[\($0)]" } ?? "")",
                isFatal: rd_kafka_error_is_fatal(error) != 0)
        }
        nextID += 1
        pending.insert(id)
        return id
    }

    /// Serves the event queue for up to `timeoutMilliseconds` (until the first event) and returns
    /// the delivery reports that arrived. A fatal client error throws.
    package func poll(timeoutMilliseconds: Int32 = 0) throws(KafkaError) -> [KafkaDeliveryReport] {
        var reports: [KafkaDeliveryReport] = []
        var wait = timeoutMilliseconds
        while let event = rd_kafka_queue_poll(queue, wait) {
            defer { rd_kafka_event_destroy(event) }
            wait = 0
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                while let message = rd_kafka_event_message_next(event) {
                    reports.append(report(message.pointee))
                }
            case RD_KAFKA_EVENT_ERROR:
                let code = rd_kafka_event_error(event)
                if rd_kafka_event_error_is_fatal(event) != 0 {
                    var text = [CChar](repeating: 0, count: 512)
                    let fatal = rd_kafka_fatal_error(client.handle, &text, text.count)
                    throw KafkaError(
                        fatal == RD_KAFKA_RESP_ERR_NO_ERROR ? code : fatal,
                        message: String(cString: rd_kafka_event_error_string(event)), context: "producer",
                        isFatal: true)
                }
                lastClientError = KafkaError(
                    code, message: String(cString: rd_kafka_event_error_string(event)), context: "producer")
            default:
                break
            }
        }
        return reports
    }

    /// Polls until every produced message has its delivery report or `timeoutMilliseconds` pass;
    /// returns the reports gathered. Throws `_TIMED_OUT` if messages are still outstanding.
    package func flush(timeoutMilliseconds: Int32 = 10_000) throws(KafkaError) -> [KafkaDeliveryReport] {
        let deadline = Deadline(in: Double(timeoutMilliseconds) / 1000)
        var reports: [KafkaDeliveryReport] = []
        while !pending.isEmpty {
            let left = Int32(min(100, deadline.secondsLeft * 1000))
            reports += try poll(timeoutMilliseconds: left)
            if deadline.hasPassed && !pending.isEmpty {
                throw KafkaError(
                    RD_KAFKA_RESP_ERR__TIMED_OUT,
                    message: "\(pending.count) message(s) without delivery report after \(timeoutMilliseconds) ms",
                    context: "flush")
            }
        }
        return reports
    }

    /// Brokers and topics as the cluster reports them.
    package func metadata(timeoutMilliseconds: Int32 = 5_000) throws(KafkaError) -> KafkaMetadata {
        try client.metadata(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Puts the producer into librdkafka's fatal state (`rd_kafka_test_fatal_error`), as a broken
    /// idempotent sequence would: for tests of the recovery path.
    package func raiseFatalErrorForTesting(_ reason: String) {
        _ = rd_kafka_test_fatal_error(client.handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
    }

    private func report(_ message: rd_kafka_message_t) -> KafkaDeliveryReport {
        let id = UInt64(UInt(bitPattern: message._private))
        pending.remove(id)
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let error =
            message.err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? nil : KafkaError(message.err, context: "delivery to \(topic)[\(message.partition)]")
        return KafkaDeliveryReport(
            id: id, topic: topic, partition: message.partition, offset: message.offset, error: error)
    }
}

/// C copies of Swift strings and bytes that live until the arena is released.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for allocation in allocations { free(allocation) }
    }

    func cString(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)
        guard let copy else { fatalError("out of memory copying a string of \(text.utf8.count) bytes") }
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// A copy of `bytes` (never a null pointer, even when empty: null would mean "no value").
    func bytes(_ bytes: [UInt8]) -> UnsafeMutableRawPointer {
        guard let copy = malloc(max(bytes.count, 1)) else {
            fatalError("out of memory copying \(bytes.count) bytes")
        }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(copy), byteCount: $0.count) }
        allocations.append(copy)
        return copy
    }
}
