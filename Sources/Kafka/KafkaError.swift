import CRdKafka

/// A librdkafka failure: `name` is `rd_kafka_err2name` of the code (e.g. "_TIMED_OUT",
/// "UNKNOWN_TOPIC_OR_PART", "_INVALID_ARG"), `message` the detail librdkafka gave, `context` what
/// was attempted (the setting, the topic/partition, the call). `failure` says what a caller does
/// about it, so no caller compares `name` strings.
package struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What a failure means to the code producing or waiting for delivery reports.
    package enum Failure: String, Sendable, Equatable, CaseIterable {
        /// The client instance is no longer usable (`isFatal`, e.g. the idempotent producer's
        /// sequence broke, or librdkafka's `_FATAL`): destroy it and make a new one.
        case fatal
        /// librdkafka's local queue is full (`_QUEUE_FULL`): serve delivery reports, produce again.
        case queueFull
        /// sluice's own: no delivery report for the stall time while the brokers answered.
        case stalled
        /// sluice's own: a stop was requested while waiting for delivery reports.
        case aborted
        /// Anything else (a broker error, a timeout, a refused message): retry after a pause.
        case retriable
    }

    /// The failures sluice itself reports (librdkafka names its own, e.g. `_FATAL`, `_QUEUE_FULL`).
    package enum OwnFailure: String, Sendable, Equatable, CaseIterable {
        case stalled = "_STALLED"
        case aborted = "_ABORTED"

        var failure: Failure {
            switch self {
            case .stalled: .stalled
            case .aborted: .aborted
            }
        }
    }

    package let code: Int32
    package let name: String
    package let message: String
    package let context: String
    /// A fatal error (e.g. of the idempotent producer): the client instance is no longer usable.
    package let isFatal: Bool
    package let failure: Failure

    package init(code: Int32, name: String, message: String, context: String, isFatal: Bool = false) {
        self.code = code
        self.name = name
        self.message = message
        self.context = context
        self.isFatal = isFatal
        failure = Self.failure(code: code, isFatal: isFatal)
    }

    init(_ code: rd_kafka_resp_err_t, message: String? = nil, context: String, isFatal: Bool = false) {
        self.init(
            code: code.rawValue, name: String(cString: rd_kafka_err2name(code)),
            message: message ?? String(cString: rd_kafka_err2str(code)), context: context, isFatal: isFatal)
    }

    /// One of sluice's own failures, named by `OwnFailure`'s raw value; code -1.
    package init(_ own: OwnFailure, message: String, context: String) {
        code = -1
        name = own.rawValue
        self.message = message
        self.context = context
        isFatal = false
        failure = own.failure
    }

    /// The failure of a librdkafka error code.
    package static func failure(code: Int32, isFatal: Bool) -> Failure {
        if isFatal || code == RD_KAFKA_RESP_ERR__FATAL.rawValue { return .fatal }
        if code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue { return .queueFull }
        return .retriable
    }

    package var description: String {
        "Kafka \(name) (\(code))\(isFatal ? " fatal" : ""): \(message) [\(context)]"
    }
}
