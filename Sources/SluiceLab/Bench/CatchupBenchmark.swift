import Binlog
import Foundation
import Kafka
import RedisCluster
import Replication
import Timekeeping

/// `sluice bench catchup`: the figures of one run and the ceilings measured beside the daemon's
/// drain of a `CatchupBacklog`, on the same binlog, cluster and broker.
package enum CatchupBenchmark {
    /// A ceiling that could not be measured, and why.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(_ description: String) { self.description = description }
    }

    /// What one run measured. `rows` is what the binlog holds (decoded), `seconds` from the
    /// daemon's start to both sinks' checkpoints at the source's end.
    package struct Report: Sendable, Equatable {
        package var rows: Int
        package var seconds: Double
        package var decodeRowsPerSecond: Double
        package var hsetRowsPerSecond: Double
        package var produceRowsPerSecond: Double
        package var peakRSSMegabytes: Double
        /// CPU time (user + system) `sluice run` spent until it caught up: the load-independent
        /// cost on a shared machine.
        package var daemonCPUSeconds: Double

        package init(
            rows: Int, seconds: Double, decodeRowsPerSecond: Double, hsetRowsPerSecond: Double,
            produceRowsPerSecond: Double, peakRSSMegabytes: Double, daemonCPUSeconds: Double = 0
        ) {
            self.daemonCPUSeconds = daemonCPUSeconds
            self.rows = rows
            self.seconds = seconds
            self.decodeRowsPerSecond = decodeRowsPerSecond
            self.hsetRowsPerSecond = hsetRowsPerSecond
            self.produceRowsPerSecond = produceRowsPerSecond
            self.peakRSSMegabytes = peakRSSMegabytes
        }

        package var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }

        /// The last line: `rows`, `seconds`, `rows_per_s`, `decode_rows_per_s`,
        /// `redis_hset_rows_per_s`, `kafka_produce_rows_per_s`, `peak_rss_mb`, `daemon_cpu_s`,
        /// `daemon_cpu_us_per_row`.
        package var json: String {
            func f(_ v: Double) -> String { String(format: "%.1f", v) }
            return "{\"rows\":\(rows),\"seconds\":\(String(format: "%.3f", seconds)),"
                + "\"rows_per_s\":\(f(rowsPerSecond)),\"decode_rows_per_s\":\(f(decodeRowsPerSecond)),"
                + "\"redis_hset_rows_per_s\":\(f(hsetRowsPerSecond)),"
                + "\"kafka_produce_rows_per_s\":\(f(produceRowsPerSecond)),\"peak_rss_mb\":\(f(peakRSSMegabytes)),"
                + "\"daemon_cpu_s\":\(String(format: "%.2f", daemonCPUSeconds)),"
                + "\"daemon_cpu_us_per_row\":\(String(format: "%.2f", cpuMicrosecondsPerRow))}"
        }

        package var cpuMicrosecondsPerRow: Double { rows > 0 ? daemonCPUSeconds * 1e6 / Double(rows) : 0 }
    }

    /// Decodes every row of `paths` on one thread: (rows, seconds).
    package static func decode(paths: [String], decompressor: (any BinlogDecompressor)?) throws(BinlogError) -> (
        rows: Int, seconds: Double
    ) {
        var rows = 0
        var seconds = 0.0
        for path in paths {
            let r = try DecodeBenchmark(decompressor: decompressor).run(path: path)
            rows += r.rows
            seconds += r.seconds
        }
        return (rows, seconds)
    }

    /// The backlog's row changes as pipelined plain HSETs of the same keys and fields (a delete:
    /// its version field), `roundsPerPipeline` rounds per pipeline; only the Redis time counted.
    package static func hsetCeiling(
        backlog: CatchupBacklog, mapping: TableMapping, redis: RedisClusterClient, roundsPerPipeline: Int = 10
    ) throws -> (rows: Int, seconds: Double) {
        var rows = 0
        var seconds = 0.0
        var round = 0
        while round < backlog.rounds {
            var requests: [(RedisCommand, Int?)] = []
            for r in round..<min(backlog.rounds, round + roundsPerPipeline) {
                for change in CatchupBacklog.changes(round: r) {
                    for w in try mapping.writes(for: change) { requests.append(SnapshotBenchmark.hset(w)) }
                    rows += 1
                }
            }
            round += roundsPerPipeline
            let started = Stopwatch()
            let replies = try redis.pipeline(requests)
            seconds += started.seconds
            if let bad = replies.first(where: { $0.isError }) { throw RedisError(.server, "HSET failed: \(bad)") }
        }
        return (rows, seconds)
    }

    /// Reads back every message the daemon wrote to `topic` (`partitions` partitions) and produces
    /// the same keys, values and headers to `ceilingTopic` with `properties` (the sink's producer
    /// settings, idempotent), `chunk` messages at a time; only the produce and its delivery are
    /// timed. Returns (messages, seconds).
    package static func produceCeiling(
        topic: String, partitions: Int32, ceilingTopic: String, properties: [String: String], chunk: Int = 50_000,
        readTimeoutSeconds: Double = 60
    ) throws -> (messages: Int, seconds: Double) {
        var consumerSettings = properties
        for producerOnly in ["compression.codec", "message.timeout.ms"] { consumerSettings[producerOnly] = nil }
        let consumer = try KafkaConsumer(settings: consumerSettings)
        try consumer.assign((0..<partitions).map { KafkaPartitionOffset(topic: topic, partition: $0, offset: 0) })
        let producer = try KafkaProducer(settings: properties, idempotent: true)
        var next = [Int64](repeating: 0, count: Int(partitions))
        func drained() -> Bool {
            (0..<partitions).allSatisfy { p in
                consumer.fetchedWatermarks(topic: topic, partition: p).map { next[Int(p)] >= $0.high } ?? false
            }
        }
        var messages = 0
        var seconds = 0.0
        var deadline = Deadline(in: readTimeoutSeconds)
        while !drained() {
            let batch = try consumer.pollAvailable(count: chunk, timeoutMilliseconds: 200)
            if batch.isEmpty {
                guard !deadline.hasPassed else {
                    throw Failure(
                        "reading \(topic) back: nothing after \(messages) messages in \(Int(readTimeoutSeconds)) s")
                }
                continue
            }
            deadline = Deadline(in: readTimeoutSeconds)
            for m in batch { next[Int(m.partition)] = max(next[Int(m.partition)], m.offset + 1) }
            // The daemon's row messages only: its DR watermark markers are not part of the backlog.
            let rows = batch.filter { !WatermarkMarker.isMarker(headers: $0.headers.map { ($0.name, $0.value) }) }
            let started = Stopwatch()
            var reports: [KafkaDeliveryReport] = []
            for m in rows {
                try producer.produce(topic: ceilingTopic, key: m.key, value: m.value, headers: m.headers)
                if producer.outstanding >= 10_000 { reports += try producer.poll() }
            }
            reports += try producer.flush(timeoutMilliseconds: 60_000)
            seconds += started.seconds
            if let failed = reports.first(where: { $0.error != nil }) {
                throw Failure("producing to \(ceilingTopic): \(failed)")
            }
            messages += rows.count
        }
        return (messages, seconds)
    }
}
