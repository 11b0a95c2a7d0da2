import Binlog
import RedisCluster

/// Where a sink stands: the end of the last transaction it has fully applied. Stored in the sink's
/// own cluster as a hash at `<prefix>{<sink>}` with fields `file`, `offset`, `gtid`, `time`
/// (the transaction's commit time, seconds since the epoch).
public struct SinkCheckpoint: Sendable, Equatable {
    public var position: BinlogPosition
    /// GTID position text (`0-1-100`), empty when the source has no GTIDs.
    public var gtid: String
    public var commitTime: Int64

    public init(position: BinlogPosition, gtid: String, commitTime: Int64) {
        self.position = position
        self.gtid = gtid
        self.commitTime = commitTime
    }

    public static func key(prefix: String, sink: String) -> String { "\(prefix){\(sink)}" }

    func hsetCommand(key: String) -> RedisCommand {
        RedisCommand(
            "HSET", key, "file", position.file, "offset", String(position.offset), "gtid", gtid, "time",
            String(commitTime))
    }

    /// Reads the hash written by `hsetCommand`; nil when the key is absent (a new sink).
    static func parse(_ reply: RedisReply, key: String) throws(RedisError) -> SinkCheckpoint? {
        guard let items = reply.elements else {
            throw RedisError(.protocolViolation, "HGETALL \(key) answered \(reply)")
        }
        if items.isEmpty { return nil }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].text, let v = items[i + 1].text { fields[k] = v }
            i += 2
        }
        guard let file = fields["file"], let offset = fields["offset"].flatMap({ UInt64($0) }),
            let time = fields["time"].flatMap({ Int64($0) })
        else {
            throw RedisError(.protocolViolation, "checkpoint \(key) is malformed: \(fields)")
        }
        return SinkCheckpoint(
            position: BinlogPosition(file: file, offset: offset), gtid: fields["gtid"] ?? "", commitTime: time)
    }
}
