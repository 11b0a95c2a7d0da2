import Foundation
import Kafka
import Ops

/// The Kafka sink's side of the DR watermark (`WatermarkMarker`, docs/dr.md): what it delivered
/// to each partition since its last marker round, and the round's markers. Pure; the sink feeds
/// it every delivery report.
///
/// Rules:
/// - every successful delivery report counts one message in its partition (a message produced
///   again after a failure is in the partition twice, and counted twice);
/// - a failed report makes its partition's count unknown until the next round (the message may
///   be in the partition anyway); a new producer makes every count unknown (messages in flight
///   on the old one may or may not have been written);
/// - a partition's first marker of a session has no count (what an earlier process produced
///   after its last marker is not known here);
/// - after a round is delivered every count starts again from 0.
struct WatermarkRounds: Sendable {
    struct Partition: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    let session = UUID().uuidString.lowercased()
    private(set) var round: Int64 = 0
    private(set) var delivered: [Partition: Int] = [:]
    private(set) var uncertain: Set<Partition> = []
    private(set) var allUncertain = false
    /// Partitions that got a marker in this session.
    private(set) var marked: Set<Partition> = []
    /// Topics a message was delivered to in this session.
    private(set) var produced: Set<String> = []

    mutating func record(_ report: KafkaDeliveryReport) {
        let p = Partition(topic: report.topic, partition: report.partition)
        if report.error == nil {
            delivered[p, default: 0] += 1
            produced.insert(report.topic)
        } else {
            uncertain.insert(p)
        }
    }

    mutating func lostTrack() { allUncertain = true }

    /// The count a marker on `p` carries now.
    func count(_ p: Partition) -> Int? {
        guard marked.contains(p), !allUncertain, !uncertain.contains(p) else { return nil }
        return delivered[p] ?? 0
    }

    /// The markers of the next round: one per partition of every topic in `topics`.
    mutating func markers(topics: [(name: String, partitions: Int)], checkpoint: SinkCheckpoint, asOfMilliseconds: Int64)
        -> [KafkaChangeMessage]
    {
        round += 1
        var out: [KafkaChangeMessage] = []
        for t in topics {
            for n in 0..<Int32(clamping: t.partitions) {
                let p = Partition(topic: t.name, partition: n)
                let marker = WatermarkMarker(
                    session: session, round: round, partition: n, count: count(p), checkpoint: checkpoint,
                    asOfMilliseconds: asOfMilliseconds)
                out.append(marker.message(topic: t.name))
            }
        }
        return out
    }

    /// The round's markers were delivered: counting starts again.
    mutating func roundDelivered(topics: [(name: String, partitions: Int)]) {
        for t in topics {
            for n in 0..<Int32(clamping: t.partitions) { marked.insert(Partition(topic: t.name, partition: n)) }
        }
        delivered = [:]
        uncertain = []
        allUncertain = false
    }
}

extension KafkaSink {
    /// The topics the DR watermark marks: every topic this sink delivered to in this process, the
    /// topic of every mapped table, `singleTopic`, `ddlTopic` and `transactionTopic`, those the
    /// brokers know, with their partition counts.
    func watermarkTopics(in metadata: KafkaMetadata) -> [(name: String, partitions: Int)] {
        var names = watermark.produced
        for name in [settings.singleTopic, settings.ddlTopic, settings.transactionTopic] {
            if let name { names.insert(name) }
        }
        if settings.singleTopic == nil {
            for table in mappings.keys {
                let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                names.insert(
                    settings.topicPrefix
                        + KafkaConfig.render(settings.topicTemplate, database: parts[0], table: parts[1]))
            }
        }
        return metadata.topics.filter { names.contains($0.name) && $0.error == nil && $0.partitionCount > 0 }
            .sorted { $0.name < $1.name }.map { ($0.name, $0.partitionCount) }
    }

    /// Writes one watermark round: a marker for `checkpoint` to every partition of the
    /// `watermarkTopics`, delivered like row messages (retried until every one has its report).
    /// Call only when every message before it was delivered. Returns the markers written; throws
    /// the metadata request's error (the round is skipped) or `Aborted`.
    package func writeWatermark(_ checkpoint: SinkCheckpoint, asOfMilliseconds: Int64, shouldAbort: () -> Bool = { false })
        throws -> Int
    {
        let metadata = try currentProducer().metadata(timeoutMilliseconds: 5_000)
        let topics = watermarkTopics(in: metadata)
        guard !topics.isEmpty else { return 0 }
        let markers = watermark.markers(topics: topics, checkpoint: checkpoint, asOfMilliseconds: asOfMilliseconds)
        try deliver(markers, shouldAbort: shouldAbort)
        watermark.roundDelivered(topics: topics)
        return markers.count
    }
}
