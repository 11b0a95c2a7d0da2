import CRdKafka

/// The librdkafka this process loaded, and the oldest one sluice accepts.
package enum KafkaLibrary {
    /// The loaded librdkafka's version, e.g. (0x021000ff, "2.16.0"): `0xMMmmrrpp`, where `pp` is
    /// 0xff for a release and lower for its release candidates.
    package static var version: (number: Int, text: String) {
        (Int(rd_kafka_version()), String(cString: rd_kafka_version_str()))
    }

    /// The oldest librdkafka the Kafka tests ran against (scripts/install-deps installs it; the
    /// Debian package carries it in /usr/lib/sluice). The stuck-producer handling of
    /// docs/daemon.md relies on its behaviour; Debian 12's 2.0.2 has idempotent-producer bugs and
    /// cannot even talk to the test broker.
    package static let minimumTested = (number: 0x0210_0000, text: "2.16.0")

    /// A C function of librdkafka, for finding the file it was loaded from.
    package static let symbol = "rd_kafka_version"

    /// Throws when `loaded` is older than `minimumTested` (release candidates of the minimum
    /// itself are accepted).
    package static func requireTested(
        loaded: (number: Int, text: String) = version, path: String?
    ) throws(KafkaLibraryTooOld) {
        guard loaded.number < minimumTested.number else { return }
        throw KafkaLibraryTooOld(loaded: loaded.text, path: path, minimum: minimumTested.text)
    }
}

extension KafkaLibrary {
    /// Sets each of `settings` on a fresh librdkafka configuration, in key order: librdkafka's own
    /// check of names and values (the first refused one throws, its key in `context`).
    package static func validate(_ settings: [String: String]) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_conf_new")
        }
        defer { rd_kafka_conf_destroy(conf) }
        try set(settings, on: conf)
    }

    /// Sets `settings` on `conf` in key order; the first one librdkafka refuses throws with its
    /// explanation and the key.
    static func set(_ settings: [String: String], on conf: OpaquePointer) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            guard rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
                throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: text(errorText), context: "setting \(name)")
            }
        }
    }

    /// The NUL-terminated text librdkafka wrote into an error buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The process loaded a librdkafka older than the one sluice is tested with.
package struct KafkaLibraryTooOld: Error, Sendable, Equatable, CustomStringConvertible {
    package let loaded: String
    package let path: String?
    package let minimum: String

    package var description: String {
        "librdkafka \(loaded) is loaded (\(path ?? "file not found")), older than \(minimum), the oldest "
            + "version sluice is tested with; refusing to start. Install the sluice Debian package (its "
            + "binary finds the tested copy in /usr/lib/sluice) or point LD_LIBRARY_PATH at a folder "
            + "holding librdkafka.so.1 \(minimum) or later"
    }
}
