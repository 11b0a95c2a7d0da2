import RedisCluster

/// Where the DR applier stands, stored in the DR cluster itself as one hash at
/// `<prefix>{<cluster>}`: per partition, field `<topic>|<partition>` holds the next offset to read
/// (every message before it is applied) and field `<topic>|<partition>|time` the source commit
/// time of the last change applied from it. Written only after the rows are applied, so a restart
/// resumes at or before the first unapplied message (duplicates are refused by version).
public struct DROffsets: Sendable, Equatable {
    public struct Partition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32
        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
        public var description: String { "\(topic)[\(partition)]" }
        var field: String { "\(topic)|\(partition)" }
        public static func < (a: Partition, b: Partition) -> Bool {
            (a.topic, a.partition) < (b.topic, b.partition)
        }
    }

    public struct Entry: Sendable, Equatable {
        /// The next offset to read.
        public var next: Int64
        /// Source commit time of the last applied change (seconds since the epoch), 0 when unknown.
        public var commitTime: Int64
        public init(next: Int64, commitTime: Int64) {
            self.next = next
            self.commitTime = commitTime
        }
    }

    public var entries: [Partition: Entry]

    public init(entries: [Partition: Entry] = [:]) { self.entries = entries }

    public static func key(prefix: String, cluster: String) -> String { "\(prefix){\(cluster)}" }

    /// HSET of the given partitions' entries.
    static func hsetCommand(key: String, _ changed: [Partition: Entry]) -> RedisCommand {
        var command = RedisCommand("HSET", key)
        for (p, e) in changed.sorted(by: { $0.key < $1.key }) {
            command.append(p.field)
            command.append(String(e.next))
            command.append(p.field + "|time")
            command.append(String(e.commitTime))
        }
        return command
    }

    /// Reads the whole hash (absent: no offsets yet).
    public static func load(from client: RedisClusterClient, key: String) throws(DRError) -> DROffsets {
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
        var i = 0
        while i + 1 < items.count {
            guard let name = items[i].text, let text = items[i + 1].text, let number = Int64(text) else {
                throw DRError(.badOffset, "field \(items[i]) = \(items[i + 1]) is not a number", place: key)
            }
            i += 2
            var parts = name.split(separator: "|", omittingEmptySubsequences: false)
            let isTime = parts.count >= 3 && parts.last == "time"
            if isTime { parts.removeLast() }
            guard parts.count >= 2, let partition = Int32(parts[parts.count - 1]) else {
                throw DRError(.badOffset, "field \(name) is not <topic>|<partition>[|time]", place: key)
            }
            let p = Partition(topic: parts.dropLast().joined(separator: "|"), partition: partition)
            if isTime { times[p] = number } else { offsets[p] = number }
        }
        var entries: [Partition: Entry] = [:]
        for (p, next) in offsets { entries[p] = Entry(next: next, commitTime: times[p] ?? 0) }
        return DROffsets(entries: entries)
    }

    /// Stores `changed` in one HSET.
    static func store(_ changed: [Partition: Entry], in client: RedisClusterClient, key: String) throws(DRError) {
        guard !changed.isEmpty else { return }
        let reply: RedisReply
        do {
            reply = try client.send(hsetCommand(key: key, changed), key: key)
        } catch {
            throw DRError(.redis, "writing the DR offsets failed", place: key, cause: "\(error)")
        }
        if let m = reply.errorMessage { throw DRError(.redis, "writing the DR offsets failed", place: key, cause: m) }
    }
}
