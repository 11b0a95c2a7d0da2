import Binlog

/// The DR watermark marker: a message the Kafka sink writes to every partition of its topics at
/// a checkpoint (at most every `[kafka] watermark_interval_ms`, and while idle), after every
/// message before it was delivered. It says: "every message this daemon produced to this
/// partition for the source transactions up to `checkpoint` is before me, and `count` messages
/// were produced here since my previous marker of this `session`". The DR applier's consistent
/// point is the oldest of the newest markers it passed on every partition (docs/dr.md).
///
/// Shape (the same in every `[kafka] format`, docs/change-events.md): header
/// `sluice.watermark` = `1` marks it (consumers skip messages that carry it), plus `sluice.end`
/// and `sluice.gtid` as row messages have them; key `sluice.watermark`; value one JSON object
/// `{"watermark":1,"session","round","partition","count","file","offset","gtid","mysql_gtid",
/// "commit_time","as_of_ms"}` where `count` is null when the sink cannot vouch for it (the first
/// marker of a session, a failed delivery report or a new producer since the previous marker).
package struct WatermarkMarker: Sendable, Equatable {
    package static let header = "sluice.watermark"
    static let key = Array("sluice.watermark".utf8)

    /// Random per Kafka sink start: counts only chain between markers of one session.
    package var session: String
    /// The marker round of the session (1, 2, ...): a marker produced twice (redelivery) has the
    /// same round and is passed over.
    package var round: Int64
    package var partition: Int32
    /// Messages produced to this partition since the session's previous marker; nil: unknown.
    package var count: Int?
    /// The source transaction every earlier message belongs to or precedes.
    package var checkpoint: SinkCheckpoint
    /// Source server time (milliseconds) at which the source had nothing after `checkpoint`:
    /// the last heartbeat when the daemon was caught up, else the checkpoint's commit time.
    package var asOfMilliseconds: Int64

    package init(
        session: String, round: Int64, partition: Int32, count: Int?, checkpoint: SinkCheckpoint,
        asOfMilliseconds: Int64
    ) {
        self.session = session
        self.round = round
        self.partition = partition
        self.count = count
        self.checkpoint = checkpoint
        self.asOfMilliseconds = asOfMilliseconds
    }

    /// Whether a consumed message's headers mark it as a watermark marker.
    package static func isMarker(headers: [(String, [UInt8]?)]) -> Bool {
        headers.contains { $0.0 == header }
    }

    /// The JSON value (also how the DR cluster stores the last marker passed per partition).
    package var json: String {
        let c = checkpoint
        var out = "{\"watermark\":1,\"session\":" + ColumnValue.string(session).jsonText
        out += ",\"round\":\(round),\"partition\":\(partition),\"count\":" + (count.map(String.init) ?? "null")
        out += ",\"file\":" + ColumnValue.string(c.position.file).jsonText + ",\"offset\":\(c.position.offset)"
        out += ",\"gtid\":" + ColumnValue.string(c.gtidText).jsonText + ",\"mysql_gtid\":" + ColumnValue.string(c.mysqlGTIDText).jsonText
        out += ",\"commit_time\":\(c.commitTime),\"as_of_ms\":\(asOfMilliseconds)}"
        return out
    }

    /// The message for `topic`, produced to `partition` explicitly.
    func message(topic: String) -> KafkaChangeMessage {
        var headers: [(name: String, value: String)] = [
            (Self.header, "1"), ("sluice.end", checkpoint.position.description),
        ]
        if let gtid = checkpoint.gtid { headers.append(("sluice.gtid", gtid.description)) }
        var m = KafkaChangeMessage(topic: topic, key: Self.key, value: Array(json.utf8), headers: headers)
        m.partition = partition
        return m
    }

    /// Reads a marker value (`json`); nil when it is not one.
    package init?(json bytes: [UInt8]) {
        guard let node = try? JSONNode.parse(bytes), node["watermark"]?.raw == "1",
            case .string(let session)? = node["session"]?.content,
            let round = node["round"].flatMap({ Int64($0.raw) }),
            let partition = node["partition"].flatMap({ Int32($0.raw) }),
            case .string(let file)? = node["file"]?.content,
            let offset = node["offset"].flatMap({ UInt64($0.raw) }),
            case .string(let gtid)? = node["gtid"]?.content,
            case .string(let mysqlGTID)? = node["mysql_gtid"]?.content,
            let commit = node["commit_time"].flatMap({ Int64($0.raw) }),
            let asOf = node["as_of_ms"].flatMap({ Int64($0.raw) }),
            let checkpoint = SinkCheckpoint(
                position: BinlogPosition(file: file, offset: offset), gtidText: gtid, commitTime: commit,
                mysqlGTIDText: mysqlGTID),
            let countNode = node["count"]
        else { return nil }
        let count: Int?
        if case .null = countNode.content {
            count = nil
        } else {
            guard let n = Int(countNode.raw), n >= 0 else { return nil }
            count = n
        }
        self.init(
            session: session, round: round, partition: partition, count: count,
            checkpoint: checkpoint,
            asOfMilliseconds: asOf)
    }
}
