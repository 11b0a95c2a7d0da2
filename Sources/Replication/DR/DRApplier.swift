import Foundation
import Kafka
import Ops
import RedisCluster
import Timekeeping

/// The DR applier: reads the change topics with explicit partition assignment (never a consumer
/// group), applies each message's row to the DR cluster through the version-checked batched apply,
/// and then stores each partition's next offset in the DR cluster (`DROffsets`). A restart resumes
/// from the stored offsets; messages applied again are refused by version, so duplicates are
/// harmless.
///
/// It holds rather than fails on outages: while the brokers are unreachable it keeps polling
/// (librdkafka reconnects), while the DR cluster is unreachable it keeps the batch in hand and
/// retries it; both say why in the log every `holdLogSeconds`. New partitions are found by a
/// metadata refresh every `metadataRefreshSeconds`. Missing messages (see docs/dr.md) are counted
/// and logged, and halt the applier unless `onGap` is `.alert`. Not thread-safe: one thread runs it.
package final class DRApplier {
    package typealias GapPolicy = DRApplyConfig.DRGapPolicy

    package struct Settings: Sendable, Equatable {
        package var topics: [String]
        /// Partition numbers read in every topic; empty = all.
        package var partitions: [Int32]
        /// The DR cluster's name (`[redis.NAME]`), for labels, logs and the offsets key.
        package var cluster: String
        package var offsetsPrefix: String
        package var batchSize: Int
        package var pollMilliseconds: Int32
        package var metadataRefreshSeconds: Double
        package var onGap: GapPolicy
        package var retryPauseSeconds: Double
        package var holdLogSeconds: Double
        package var tombstoneTTLSeconds: Int64
        package var rowsPerCall: Int
        /// The topics are compacted (`[kafka] tombstones = true`): compaction removes messages a
        /// later one of the same key supersedes, so a hole in the offsets is not a gap.
        package var compacted: Bool

        package init(
            topics: [String], partitions: [Int32] = [], cluster: String = "dr",
            offsetsPrefix: String = "sluice:dr:offsets:",
            batchSize: Int = 500, pollMilliseconds: Int32 = 200, metadataRefreshSeconds: Double = 10,
            onGap: GapPolicy = .halt, retryPauseSeconds: Double = 0.5, holdLogSeconds: Double = 5,
            tombstoneTTLSeconds: Int64 = 604_800, rowsPerCall: Int = 200, compacted: Bool = false
        ) {
            self.compacted = compacted
            self.topics = topics
            self.partitions = partitions
            self.cluster = cluster
            self.offsetsPrefix = offsetsPrefix
            self.batchSize = max(1, batchSize)
            self.pollMilliseconds = pollMilliseconds
            self.metadataRefreshSeconds = metadataRefreshSeconds
            self.onGap = onGap
            self.retryPauseSeconds = retryPauseSeconds
            self.holdLogSeconds = holdLogSeconds
            self.tombstoneTTLSeconds = tombstoneTTLSeconds
            self.rowsPerCall = rowsPerCall
        }
    }

    package struct Counters: Sendable, Equatable {
        package var messages = 0
        package var applied = 0
        package var staleRefused = 0
        /// Messages of tables without a mapping, or rows skipped by `on_error = "skip"`.
        package var skippedRows = 0
        package var batches = 0
        /// Messages found missing (the sum of every gap's size).
        package var missingMessages = 0
        package var gaps = 0
        /// Tombstones passed over (no value: the delete before each carried the change).
        package var tombstones = 0
        /// Statement events (DDL) passed over: they change no row.
        package var schemaChanges = 0
        /// Offsets absent from compacted topics (not gaps: see `Settings.compacted`).
        package var compactedOffsets = 0
        package init() {}
    }

    package let settings: Settings
    let consumer: KafkaConsumer
    let applier: VersionedApplier
    /// Every mapping of a table, whichever clusters it names: the DR cluster mirrors them all.
    let mappings: [String: [TableMapping]]
    let logger: Logger
    let metrics: DRMetrics?
    /// Its monotonic reading times the partition refreshes and the hold lines.
    let clock: any ServiceClock
    let sleep: (Double) -> Void
    package internal(set) var counters = Counters()
    /// Next offset to read per assigned partition (stored, or as far as applied this run).
    package internal(set) var offsets = DROffsets()
    /// High watermarks from the last refresh.
    package internal(set) var ends: [DROffsets.Partition: Int64] = [:]
    /// Commit time of the last change applied (seconds since the epoch), 0 before any.
    package internal(set) var lastCommitTime: Int64 = 0
    /// Kafka timestamp (milliseconds since the epoch: when the daemon produced it) of the newest
    /// message applied this run, 0 before any. Unlike commit times it has millisecond resolution.
    package internal(set) var lastProducedMilliseconds: Int64 = 0
    var assigned: Set<DROffsets.Partition> = []
    var lastRefresh: MonotonicInstant?
    /// The hold lines' throttle, per reason (`redis`, `kafka`).
    var holds: [String: RetryReport] = [:]
    /// Partitions whose stored offset past their end was already reported (under `.alert`).
    var reportedTruncation: Set<DROffsets.Partition> = []

    package var offsetsKey: String { DROffsets.key(prefix: settings.offsetsPrefix, cluster: settings.cluster) }

    /// - Parameters:
    ///   - consumerProperties: librdkafka properties (`bootstrap.servers`, TLS/SASL...).
    ///   - mappings: the `[[mapping]]` tables; each table's every mapping is applied.
    package init(
        consumerProperties: [String: String], client: RedisClusterClient, mappings: [TableMapping],
        settings: Settings, logger: Logger, metrics: DRMetrics? = nil,
        clock: any ServiceClock = SystemClock(),
        sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) throws(DRError) {
        self.settings = settings
        var properties = consumerProperties
        properties["auto.offset.reset"] = "earliest"
        do {
            consumer = try KafkaConsumer(settings: properties)
        } catch {
            throw DRError(.kafka, "cannot create the Kafka consumer", place: "consumer", cause: "\(error)")
        }
        applier = VersionedApplier(
            client: client, tombstoneTTLSeconds: settings.tombstoneTTLSeconds, rowsPerCall: settings.rowsPerCall)
        self.mappings = Dictionary(grouping: mappings, by: \.qualifiedTable)
        self.logger = logger.with(["component": "dr-apply", "cluster": .string(settings.cluster)])
        self.metrics = metrics
        self.clock = clock
        self.sleep = sleep
    }

    /// Loads the apply library and the stored offsets, holding while the DR cluster is down.
    /// Returns false when `shouldStop` answered true first.
    package func start(shouldStop: () -> Bool = { false }) -> Bool {
        var loop = holding(check: .beforeEachAttempt)
        let outcome = loop.run(
            until: shouldStop,
            {
                try applier.loadLibrary()
                offsets = try DROffsets.load(from: applier.client, key: offsetsKey)
                lastCommitTime = offsets.entries.values.map(\.commitTime).max() ?? 0
                logger.info(
                    "DR offsets loaded", ["partitions": .init(offsets.entries.count), "key": .string(offsetsKey)])
            },
            onFailure: { error in
                hold("redis", "DR cluster not ready (\(error)); holding")
                return .retry
            })
        guard case .done = outcome else { return false }
        return true
    }

    /// Runs until `shouldStop` answers true (then drains: the batch in hand is applied and its
    /// offsets stored when the DR cluster answers) or a halting error (a gap under `.halt`, an
    /// unreadable message, a mapping error) throws.
    package func run(shouldStop: () -> Bool, afterStep: () -> Void = {}) throws(DRError) {
        guard start(shouldStop: shouldStop) else { return }
        while !shouldStop() {
            try step(shouldStop: shouldStop)
            afterStep()
        }
        logger.info("DR applier stopped", ["applied": .init(counters.applied), "messages": .init(counters.messages)])
    }

    /// One round: refresh partitions when due, poll a batch, apply it, store its offsets.
    package func step(shouldStop: () -> Bool = { false }) throws(DRError) {
        let now = clock.monotonicNow()
        if lastRefresh.map({ now.seconds(since: $0) >= settings.metadataRefreshSeconds }) ?? true {
            refreshPartitions()
        }
        let messages: [KafkaMessage]
        do {
            // What has arrived, at once: waiting for a full batch would add up to the poll time to
            // the DR lag whenever the stream is slower than a batch per poll.
            messages = try consumer.pollAvailable(
                count: settings.batchSize, timeoutMilliseconds: settings.pollMilliseconds)
        } catch {
            metrics?.error(.kafka)
            hold("kafka", "Kafka consumer: \(error); holding (librdkafka reconnects)")
            sleep(settings.retryPauseSeconds)
            return
        }
        try updateEnds()
        if !messages.isEmpty { try applyBatch(messages, shouldStop: shouldStop) }
        metrics?.update(self)
    }

    /// Logs `message` for `reason` at most once per `holdLogSeconds` (a `RetryReport` per reason).
    func hold(_ reason: String, _ message: String) {
        var report = holds[reason] ?? RetryReport(reason, repeatSeconds: settings.holdLogSeconds, repeatOnChange: false)
        let due = report.due(message, now: clock.monotonicNow())
        holds[reason] = report
        if due { logger.warning(message, ["reason": .string(reason)]) }
    }

    /// Finds the topics' partitions and assigns new ones from their stored offsets (or the
    /// beginning). A failure is logged and leaves the assignment as it was.
    func refreshPartitions() {
        lastRefresh = clock.monotonicNow()
        let metadata: KafkaMetadata
        do {
            metadata = try consumer.metadata(timeoutMilliseconds: 2_000)
        } catch {
            // The refresh is the applier's only request with a deadline of its own: a broker that
            // is down or frozen shows here, while fetches just return nothing.
            metrics?.error(.kafka)
            hold("kafka", "Kafka brokers not answering (metadata request: \(error)); holding until they do")
            return
        }
        var found: [DROffsets.Partition] = []
        for topic in settings.topics {
            guard let t = metadata.topic(topic), t.error == nil else { continue }
            for p in 0..<Int32(clamping: t.partitionCount)
            where settings.partitions.isEmpty || settings.partitions.contains(p) {
                found.append(DROffsets.Partition(topic: topic, partition: p))
            }
        }
        let added = found.filter { !assigned.contains($0) }
        if !added.isEmpty {
            let all = Set(found).union(assigned).sorted()
            let list = all.map { p in
                KafkaPartitionOffset(
                    topic: p.topic, partition: p.partition,
                    offset: offsets.entries[p]?.next ?? KafkaPartitionOffset.beginning)
            }
            do {
                // The whole assignment is replaced: partitions already read resume where applied.
                try consumer.assign(list)
                assigned = Set(all)
                logger.info(
                    "assigned partitions",
                    [
                        "new": .string(added.map(\.description).joined(separator: ",")),
                        "total": .init(assigned.count),
                    ])
            } catch {
                hold("kafka", "Kafka assign: \(error); retrying at the next refresh")
                lastRefresh = nil
            }
        }
    }

    /// Partition ends from the fetch responses so far. A stored offset past its partition's end
    /// means the topic was recreated or truncated: its new messages below the stored offset would
    /// be skipped, so that is reported as a gap (once per partition).
    func updateEnds() throws(DRError) {
        for p in assigned.sorted() {
            guard let marks = consumer.fetchedWatermarks(topic: p.topic, partition: p.partition) else { continue }
            ends[p] = marks.high
            if let next = offsets.entries[p]?.next, next > marks.high {
                try reportTruncation(p, stored: next, end: marks.high)
            }
        }
    }

    func reportTruncation(_ p: DROffsets.Partition, stored: Int64, end: Int64) throws(DRError) {
        guard !reportedTruncation.contains(p) else { return }
        reportedTruncation.insert(p)
        try reportGap(
            p, expected: end, got: stored,
            why: "the stored offset \(stored) is past the partition's end \(end): the topic was recreated or truncated")
    }

    /// Counts and logs a gap in `p` (offsets `expected..<got` never applied); throws it under `.halt`.
    func reportGap(_ p: DROffsets.Partition, expected: Int64, got: Int64, why: String) throws(DRError) {
        try reportMissing(
            p, count: max(0, got - expected), fields: ["expected": .init(expected), "got": .init(got)], why: why,
            error: "offsets \(expected)..<\(got) never applied (\(why))", place: "\(p)@\(got)")
    }

    /// Counts and logs `count` messages missing from `p`; throws under `.halt` with `error`.
    func reportMissing(
        _ p: DROffsets.Partition, count: Int64, fields: [String: LogValue], why: String, error: String,
        place: String
    ) throws(DRError) {
        counters.gaps += 1
        counters.missingMessages += Int(clamping: count)
        metrics?.error(.drGap)
        logger.error(
            "gap in a DR partition: \(why)",
            fields.merging([
                "partition": .string(p.description),
                "policy": .string(settings.onGap.rawValue),
            ]) { $1 })
        if settings.onGap == .halt {
            throw DRError(.gap, "\(count) message(s) missing: \(error)", place: place)
        }
    }

    /// Messages between the applied offsets and the last known partition ends.
    package var messagesBehind: Int64 {
        var total: Int64 = 0
        for (p, end) in ends { total += max(0, end - (offsets.entries[p]?.next ?? 0)) }
        return total
    }
}
