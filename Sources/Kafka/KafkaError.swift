import CRdKafka

/// A librdkafka failure: `name` is `rd_kafka_err2name` of the code (e.g. "_TIMED_OUT",
/// "UNKNOWN_TOPIC_OR_PART", "_INVALID_ARG"), `message` the detail librdkafka gave, `context` what
/// was attempted (the setting, the topic/partition, the call).
package struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    package let code: Int32
    package let name: String
    package let message: String
    package let context: String
    /// A fatal error (e.g. of the idempotent producer): the client instance is no longer usable.
    package let isFatal: Bool

    package init(code: Int32, name: String, message: String, context: String, isFatal: Bool = false) {
        self.code = code
        self.name = name
        self.message = message
        self.context = context
        self.isFatal = isFatal
    }

    init(_ code: rd_kafka_resp_err_t, message: String? = nil, context: String, isFatal: Bool = false) {
        self.init(
            code: code.rawValue, name: String(cString: rd_kafka_err2name(code)),
            message: message ?? String(cString: rd_kafka_err2str(code)), context: context, isFatal: isFatal)
    }

    package var description: String {
        "Kafka \(name) (\(code))\(isFatal ? " fatal" : ""): \(message) [\(context)]"
    }
}
