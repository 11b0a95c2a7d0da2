import RedisCluster

/// Where the DR applier stands, stored in the DR cluster itself as one hash at
/// `<prefix>{<cluster>}`: per partition, field `<topic>|<partition>` holds the next offset to read
/// (every message before it is applied) and field `<topic>|<partition>|time` the source commit
/// time of the last change applied from it. Written only after the rows are applied, so a restart
/// resumes at or before the first unapplied message (duplicates are refused by version).
///
/// The DR watermark lives in the same hash, written by the same HSET: field
/// `<topic>|<partition>|mark` holds the last watermark marker passed in the partition (its JSON
/// value), `<topic>|<partition>|since` the messages passed after it, and `@watermark` the
/// consistent point (`DRWatermarkPoint`, JSON). `@` cannot start a Kafka topic name.
package struct DROffsets: Sendable, Equatable {
    package struct Partition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
        package var topic: String
        package var partition: Int32
        package init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
        package var description: String { "\(topic)[\(partition)]" }
        var field: String { "\(topic)|\(partition)" }
        package static func < (a: Partition, b: Partition) -> Bool {
            (a.topic, a.partition) < (b.topic, b.partition)
        }
    }

    package struct Entry: Sendable, Equatable {
        /// The next offset to read.
        package var next: Int64
        /// Source commit time of the last applied change (seconds since the epoch), 0 when unknown.
        package var commitTime: Int64
        /// The last watermark marker passed, and the messages passed after it.
        package var mark: WatermarkMarker?
        package var since: Int
        package init(next: Int64, commitTime: Int64, mark: WatermarkMarker? = nil, since: Int = 0) {
            self.next = next
            self.commitTime = commitTime
            self.mark = mark
            self.since = since
        }
    }

    package var entries: [Partition: Entry]
    /// The stored consistent point, nil before the first.
    package var watermark: DRWatermarkPoint?

    package init(entries: [Partition: Entry] = [:], watermark: DRWatermarkPoint? = nil) {
        self.entries = entries
        self.watermark = watermark
    }

    static let watermarkField = "@watermark"
    package static func key(prefix: String, cluster: String) -> String { "\(prefix){\(cluster)}" }

    /// HSET of the given partitions' entries.
    static func hsetCommand(key: String, _ changed: [Partition: Entry], watermark: DRWatermarkPoint? = nil) -> RedisCommand {
        var command = RedisCommand("HSET", key)
        for (p, e) in changed.sorted(by: { $0.key < $1.key }) {
            command.append(p.field)
            command.append(String(e.next))
            command.append(p.field + "|time")
            command.append(String(e.commitTime))
            if let mark = e.mark {
                command.append(p.field + "|mark")
                command.append(mark.json)
                command.append(p.field + "|since")
                command.append(String(e.since))
            }
        }
        if let watermark {
            command.append(watermarkField)
            command.append(watermark.json)
        }
        return command
    }

    /// Reads the whole hash (absent: no offsets yet).
    package static func load(from client: RedisClusterClient, key: String) throws(DRError) -> DROffsets {
        let reply: RedisReply
        do {
            reply = try client.send(RedisCommand("HGETALL", key), key: key)
        } catch {
            throw DRError(.redis, "reading the DR offsets failed", place: key, cause: "\(error)")
        }
        if let m = reply.errorMessage { throw DRError(.redis, "reading the DR offsets failed", place: key, cause: m) }
        guard let items = reply.elements, items.count % 2 == 0 else {
            throw DRError(.badOffset, "HGETALL answered \(reply)", place: key)
        }
        var offsets: [Partition: Int64] = [:]
        var times: [Partition: Int64] = [:]
        var marks: [Partition: WatermarkMarker] = [:]
        var since: [Partition: Int] = [:]
        var watermark: DRWatermarkPoint?
        var i = 0
        while i + 1 < items.count {
            guard let name = items[i].text, let text = items[i + 1].text else {
                throw DRError(.badOffset, "field \(items[i]) = \(items[i + 1]) is not text", place: key)
            }
            i += 2
            if name == watermarkField {
                guard let point = DRWatermarkPoint(json: Array(text.utf8)) else {
                    throw DRError(.badOffset, "field \(name) = \(text) is not a DR watermark", place: key)
                }
                watermark = point
                continue
            }
            var parts = name.split(separator: "|", omittingEmptySubsequences: false)
            let suffix = parts.count >= 3 && ["time", "mark", "since"].contains(parts.last) ? parts.removeLast() : nil
            guard parts.count >= 2, let partition = Int32(parts[parts.count - 1]) else {
                throw DRError(.badOffset, "field \(name) is not <topic>|<partition>[|time|mark|since]", place: key)
            }
            let p = Partition(topic: parts.dropLast().joined(separator: "|"), partition: partition)
            if suffix == "mark" {
                guard let marker = WatermarkMarker(json: Array(text.utf8)) else {
                    throw DRError(.badOffset, "field \(name) = \(text) is not a watermark marker", place: key)
                }
                marks[p] = marker
                continue
            }
            guard let number = Int64(text) else {
                throw DRError(.badOffset, "field \(name) = \(text) is not a number", place: key)
            }
            switch suffix {
            case "time": times[p] = number
            case "since": since[p] = Int(clamping: number)
            default: offsets[p] = number
            }
        }
        var entries: [Partition: Entry] = [:]
        for (p, next) in offsets {
            entries[p] = Entry(next: next, commitTime: times[p] ?? 0, mark: marks[p], since: since[p] ?? 0)
        }
        return DROffsets(entries: entries, watermark: watermark)
    }

    /// Stores `changed` in one HSET.
    static func store(
        _ changed: [Partition: Entry], watermark: DRWatermarkPoint? = nil, in client: RedisClusterClient, key: String
    ) throws(DRError) {
        guard !changed.isEmpty || watermark != nil else { return }
        let reply: RedisReply
        do {
            reply = try client.send(hsetCommand(key: key, changed, watermark: watermark), key: key)
        } catch {
            throw DRError(.redis, "writing the DR offsets failed", place: key, cause: "\(error)")
        }
        if let m = reply.errorMessage { throw DRError(.redis, "writing the DR offsets failed", place: key, cause: m) }
    }
}
