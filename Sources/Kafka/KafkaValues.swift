/// One record header; a nil value is a header with a null value.
package struct KafkaHeader: Sendable, Equatable {
    package var name: String
    package var value: [UInt8]?

    package init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// A record read by a consumer.
package struct KafkaMessage: Sendable, Equatable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var key: [UInt8]?
    package var value: [UInt8]?
    package var headers: [KafkaHeader]
    /// Milliseconds since the epoch, or nil when the broker gave none.
    package var timestampMilliseconds: Int64?

    package init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                 headers: [KafkaHeader], timestampMilliseconds: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// The outcome of one produced message: its broker offset, or the error that failed it.
package struct KafkaDeliveryReport: Sendable, Equatable {
    /// The id `KafkaProducer.produce` returned for the message.
    package var id: UInt64
    package var topic: String
    package var partition: Int32
    /// The offset written at, when known (-1001 otherwise).
    package var offset: Int64
    package var error: KafkaError?
}

/// A partition to read, from `offset` (or `KafkaPartitionOffset.beginning` / `.end`).
package struct KafkaPartitionOffset: Sendable, Equatable {
    package static let beginning: Int64 = -2
    package static let end: Int64 = -1

    package var topic: String
    package var partition: Int32
    package var offset: Int64

    package init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// What a metadata request returned.
package struct KafkaMetadata: Sendable, Equatable {
    package struct Broker: Sendable, Equatable {
        package var id: Int32
        package var host: String
        package var port: Int
    }

    package struct Topic: Sendable, Equatable {
        package var name: String
        package var partitionCount: Int
        /// The broker's per-topic error name, if any (e.g. "UNKNOWN_TOPIC_OR_PART").
        package var error: String?
    }

    package var brokers: [Broker]
    package var topics: [Topic]

    package func topic(_ name: String) -> Topic? { topics.first { $0.name == name } }
}
