import CRdKafka
import XCTest

@testable import Kafka

/// How each librdkafka error code and each of sluice's own failures is classified
/// (`KafkaError.Failure`), over librdkafka's whole table of codes.
final class KafkaErrorTests: XCTestCase {
    private func librdkafkaCodes() -> [(code: Int32, name: String)] {
        var descs: UnsafePointer<rd_kafka_err_desc>?
        var count = 0
        rd_kafka_get_err_descs(&descs, &count)
        guard let descs else { return [] }
        return (0..<count).compactMap { i in
            guard let name = descs[i].name else { return nil }
            return (descs[i].code.rawValue, String(cString: name))
        }
    }

    func testOnlyFatalAndQueueFullAreSpecialAmongLibrdkafkaCodes() {
        let codes = librdkafkaCodes()
        XCTAssertGreaterThan(codes.count, 100)
        var special: [String: KafkaError.Failure] = [:]
        for (code, _) in codes {
            let error = KafkaError(rd_kafka_resp_err_t(rawValue: code), context: "test")
            if error.failure != .retriable { special[error.name] = error.failure }
            // A fatal client error is fatal whatever its code.
            XCTAssertEqual(KafkaError(rd_kafka_resp_err_t(rawValue: code), context: "t", isFatal: true).failure, .fatal)
        }
        XCTAssertEqual(special, ["_FATAL": .fatal, "_QUEUE_FULL": .queueFull])
    }

    func testOwnFailuresKeepTheirNamesAndNeverCollideWithLibrdkafka() {
        let names = Set(librdkafkaCodes().map(\.name))
        for own in KafkaError.OwnFailure.allCases {
            let error = KafkaError(own, message: "m", context: "deliver")
            XCTAssertFalse(names.contains(error.name), error.name)
            XCTAssertFalse(error.isFatal)
            XCTAssertEqual(error.description, "Kafka \(own.rawValue) (-1): m [deliver]")
        }
        XCTAssertEqual(KafkaError(.stalled, message: "m", context: "c").failure, .stalled)
        XCTAssertEqual(KafkaError(.aborted, message: "m", context: "c").failure, .aborted)
        XCTAssertEqual(KafkaError.OwnFailure.stalled.rawValue, "_STALLED")
    }
}
