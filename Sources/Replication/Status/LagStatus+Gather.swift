import Binlog
import Foundation
import Kafka
import MySQLSource
import Ops
import RedisCluster
import Timekeeping

extension LagStatus {
    /// Reads everything `sluice status` shows, independently of a running daemon: the source's
    /// binlog end (SHOW MASTER STATUS, SHOW BINARY LOGS, MariaDB's @@gtid_binlog_pos), each
    /// non-DR Redis cluster's checkpoint, the DR offsets and the topic ends. An unreachable
    /// component becomes an `.unknown` row naming the error; nothing throws.
    package static func gather(
        config: SluiceConfig, now: Double = Date().timeIntervalSince1970,
        fetchWaitSeconds: Double = 3
    ) -> LagStatus {
        var rows: [Row] = []
        var end: BinlogPosition?
        var logs: [(name: String, size: UInt64)]?
        var sourceGTID: MariaDBGTIDPosition?
        if let s = config.source {
            var row = Row(name: "source")
            do {
                let connection = try MySQLConnection(
                    MySQLEndpoint(
                        host: s.host, port: s.port, user: s.user, password: s.password?.revealed ?? "",
                        socket: s.socket,
                        connectTimeoutSeconds: UInt32(clamping: max(1, s.connectTimeoutMS / 1000)),
                        tls: MySQLTLS(
                            mode: MySQLTLS.Mode(rawValue: s.tls.mode.rawValue) ?? .disabled,
                            ca: s.tls.files.ca, cert: s.tls.files.cert, key: s.tls.files.key)))
                let master = try connection.query("SHOW MASTER STATUS")
                if let file = master.value("File"), let pos = master.value("Position").flatMap(UInt64.init) {
                    end = BinlogPosition(file: file, offset: pos)
                    row.position = "\(file):\(pos)"
                } else {
                    row.state = .unknown("SHOW MASTER STATUS returned nothing: is the binary log on?")
                }
                logs = try LagTracker.binaryLogs(on: connection)
                if let text = (try? connection.query("SELECT @@gtid_binlog_pos AS p"))?.value("p") {
                    sourceGTID = MariaDBGTIDPosition(parsing: text)
                    if !text.isEmpty { row.position += " gtid \(text)" }
                }
            } catch {
                row.state = .unknown("unreachable: \(error)")
            }
            rows.append(row)
        }
        let drCluster = config.drApply?.redisCluster
        for cluster in config.redis where cluster.name != drCluster {
            rows.append(
                sinkRow(config: config, cluster: cluster.name, end: end, logs: logs, sourceGTID: sourceGTID, now: now))
        }
        if let dr = config.drApply {
            rows.append(drRow(config: config, dr: dr, now: now, fetchWaitSeconds: fetchWaitSeconds))
        }
        if let row = haRow(config: config) { rows.append(row) }
        var status = LagStatus(
            rows: rows, maxSeconds: Double(config.lag.maxSeconds), maxBytes: UInt64(max(0, config.lag.maxBytes)))
        status.judge()
        return status
    }

    private static func sinkRow(
        config: SluiceConfig, cluster: String, end: BinlogPosition?,
        logs: [(name: String, size: UInt64)]?, sourceGTID: MariaDBGTIDPosition?, now: Double
    ) -> Row {
        var row = Row(name: "redis.\(cluster)")
        let checkpoint: SinkCheckpoint?
        do {
            checkpoint = try RedisSink.make(config: config, cluster: cluster).loadCheckpoint()
        } catch {
            row.state = .unknown("unreachable: \(error)")
            return row
        }
        guard let checkpoint else {
            row.state = .unknown("no checkpoint yet")
            return row
        }
        row.position = checkpoint.position.description + (checkpoint.gtid.map { " gtid \($0)" } ?? "")
        guard let end, let logs else {
            row.state = .unknown("source unreachable")
            return row
        }
        let bytes = checkpoint.position < end ? LagTracker.bytesBehind(checkpoint.position, logs: logs) : 0
        row.bytes = bytes
        row.seconds = sinkSeconds(bytes: bytes, commitTime: checkpoint.commitTime, now: now)
        if let sourceGTID, let done = checkpoint.gtid {
            var behind: UInt64 = 0
            for g in sourceGTID.gtids {
                let applied = done.gtids.first { $0.domain == g.domain }?.sequence ?? 0
                behind += g.sequence > applied ? g.sequence - applied : 0
            }
            row.transactions = behind
        }
        return row
    }

    /// A sink's lag in seconds: 0 at the binlog's end, else since its checkpoint's commit time;
    /// unknown (nil) behind a checkpoint with no commit time (0: a start stored before anything
    /// was applied, `Daemon.storeSinkStarts`), where only the bytes say how far behind it is.
    static func sinkSeconds(bytes: UInt64, commitTime: Int64, now: Double) -> Double? {
        if bytes == 0 { return 0 }
        return commitTime == 0 ? nil : max(0, now - Double(commitTime))
    }

    private static func drRow(config: SluiceConfig, dr: DRApplyConfig, now: Double, fetchWaitSeconds: Double) -> Row {
        var row = Row(name: "dr.\(dr.redisCluster)")
        guard let redis = config.redis(named: dr.redisCluster) else {
            row.state = .unknown("no [redis.\(dr.redisCluster)]")
            return row
        }
        let offsets: DROffsets
        do {
            let client = try RedisClusterClient(
                topology: RedisTopology(config: redis), options: RedisOptions(config: redis))
            offsets = try DROffsets.load(
                from: client, key: DROffsets.key(prefix: "sluice:dr:offsets:", cluster: dr.redisCluster))
        } catch {
            row.state = .unknown("DR cluster unreachable: \(error)")
            return row
        }
        let ends: [DROffsets.Partition: Int64]
        do {
            ends = try topicEnds(config: config, dr: dr, offsets: offsets, waitSeconds: fetchWaitSeconds)
        } catch {
            row.state = .unknown("Kafka unreachable: \(error)")
            return row
        }
        var behind: Int64 = 0
        for (p, high) in ends { behind += max(0, high - (offsets.entries[p]?.next ?? 0)) }
        row.messages = behind
        row.position = "\(offsets.entries.values.map(\.next).reduce(0, +)) of \(ends.values.reduce(0, +)) messages"
        let lastApplied = offsets.entries.values.map(\.commitTime).max() ?? 0
        if let w = offsets.watermark {
            // Every source transaction up to the watermark is applied, and the source had nothing
            // newer at `as_of`: honest whether the source is idle or busy (docs/dr.md).
            row.watermark = w.positionText
            row.seconds = max(0, now - Double(w.asOfMilliseconds) / 1000)
        } else if behind == 0 {
            row.seconds = 0
        } else if lastApplied > 0 {
            row.seconds = max(0, now - Double(lastApplied))
        } else {
            row.state = .lagging
        }
        return row
    }

    /// Each partition's high watermark, from fetch responses: the partitions are assigned at their
    /// stored offsets and polled until every one has been fetched (ListOffsets answers are not
    /// trusted; see docs/dr.md). Throws when a partition was not fetched within `waitSeconds`.
    package static func topicEnds(
        config: SluiceConfig, dr: DRApplyConfig, offsets: DROffsets,
        waitSeconds: Double
    ) throws -> [DROffsets.Partition: Int64] {
        try topicEnds(
            config: config, groupID: dr.groupID, topics: dr.topics, partitions: dr.partitions, offsets: offsets,
            waitSeconds: waitSeconds)
    }

    /// The same for any topics (`partitions` empty: all of each topic's partitions), read under
    /// `groupID` (nothing is committed).
    package static func topicEnds(
        config: SluiceConfig, groupID: String, topics: [String], partitions wanted: [Int], offsets: DROffsets,
        waitSeconds: Double
    ) throws -> [DROffsets.Partition: Int64] {
        var properties = config.kafka.clientProperties
        properties["group.id"] = groupID
        properties["auto.offset.reset"] = "latest"
        let consumer = try KafkaConsumer(settings: properties)
        let metadata = try consumer.metadata(timeoutMilliseconds: Int32(waitSeconds * 1000))
        var partitions: [DROffsets.Partition] = []
        for topic in topics {
            guard let t = metadata.topic(topic), t.error == nil else {
                throw DRError(.kafka, "topic \(topic) not found", place: "metadata")
            }
            for p in 0..<Int32(clamping: t.partitionCount) where wanted.isEmpty || wanted.contains(Int(p)) {
                partitions.append(DROffsets.Partition(topic: topic, partition: p))
            }
        }
        try consumer.assign(
            partitions.map {
                KafkaPartitionOffset(
                    topic: $0.topic, partition: $0.partition,
                    offset: offsets.entries[$0]?.next ?? KafkaPartitionOffset.end)
            })
        var ends: [DROffsets.Partition: Int64] = [:]
        let deadline = Deadline(in: waitSeconds)
        while ends.count < partitions.count, !deadline.hasPassed {
            _ = try consumer.poll(timeoutMilliseconds: 100)
            for p in partitions where ends[p] == nil {
                if let marks = consumer.fetchedWatermarks(topic: p.topic, partition: p.partition) {
                    ends[p] = marks.high
                }
            }
        }
        guard ends.count == partitions.count else {
            let missing = partitions.filter { ends[$0] == nil }.map(\.description).joined(separator: ", ")
            throw DRError(.kafka, "no fetch answer within \(waitSeconds) s for \(missing)", place: "brokers")
        }
        return ends
    }
}
