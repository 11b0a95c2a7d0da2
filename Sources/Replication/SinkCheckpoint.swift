import Binlog
import RedisCluster

/// Where a sink stands: the end of the last transaction it has fully applied. Stored in the sink's
/// own cluster as a hash at `<prefix>{<sink>}` with fields `file`, `offset`, `gtid`, `time`
/// (the transaction's commit time, seconds since the epoch), `mysql_gtid`, and the source's
/// identity `server_id`, `server_uuid`, `flavor` (empty when unknown: a checkpoint written by an
/// older sluice or set by hand names no server).
package struct SinkCheckpoint: Sendable, Equatable {
    package var position: BinlogPosition
    /// MariaDB GTID state, one GTID per domain (text `0-1-100,1-2-7`), nil when unknown (an empty
    /// state is kept as nil, as it reads back from its empty stored text).
    package var gtid: MariaDBGTIDPosition? { didSet { if gtid?.gtids.isEmpty == true { gtid = nil } } }
    package var commitTime: Int64
    /// MySQL executed GTID set (text `uuid:1-100`), nil when unknown or empty.
    package var mysqlGTID: MySQLGTIDSet? { didSet { if mysqlGTID?.isEmpty == true { mysqlGTID = nil } } }
    /// The server `position` belongs to; nil when the checkpoint does not say.
    package var source: SourceIdentity?

    package init(
        position: BinlogPosition, gtid: MariaDBGTIDPosition?, commitTime: Int64, mysqlGTID: MySQLGTIDSet? = nil,
        source: SourceIdentity? = nil
    ) {
        self.position = position
        self.gtid = gtid?.gtids.isEmpty == false ? gtid : nil
        self.commitTime = commitTime
        self.mysqlGTID = mysqlGTID?.isEmpty == false ? mysqlGTID : nil
        self.source = source
    }

    /// A checkpoint from its stored text form (the Redis hash fields, the watermark JSON): empty
    /// text is no GTID; nil when a non-empty text is not a GTID position or set.
    package init?(
        position: BinlogPosition, gtidText: String, commitTime: Int64, mysqlGTIDText: String,
        source: SourceIdentity? = nil
    ) {
        var gtid: MariaDBGTIDPosition?
        if !gtidText.isEmpty {
            guard let parsed = MariaDBGTIDPosition(parsing: gtidText) else { return nil }
            gtid = parsed
        }
        var mysqlGTID: MySQLGTIDSet?
        if !mysqlGTIDText.isEmpty {
            guard let parsed = MySQLGTIDSet(parsing: mysqlGTIDText) else { return nil }
            mysqlGTID = parsed
        }
        self.init(position: position, gtid: gtid, commitTime: commitTime, mysqlGTID: mysqlGTID, source: source)
    }

    /// The stored text of `gtid` (empty when unknown).
    package var gtidText: String { gtid?.description ?? "" }
    /// The stored text of `mysqlGTID` (empty when unknown).
    package var mysqlGTIDText: String { mysqlGTID?.description ?? "" }

    /// True when the checkpoint holds a GTID state a server can be asked to resume from.
    package var hasGTID: Bool { gtid != nil || mysqlGTID != nil }

    package static func key(prefix: String, sink: String) -> String { "\(prefix){\(sink)}" }

    func hsetCommand(key: String) -> RedisCommand { RedisCommand(["HSET", key] + fields) }

    /// The write of this checkpoint at `key`: fenced by the lease holder's token when there is one
    /// (refused with `RedisError.Code.fenced` when a newer holder raised the slot's fence).
    func writeCommand(key: String, fence: Int64?) -> RedisCommand {
        guard let fence else { return hsetCommand(key: key) }
        return Fencing.fencedHashWrite(key: key, fields: fields, token: fence)
    }

    private var fields: [String] {
        [
            "file", position.file, "offset", String(position.offset), "gtid", gtidText, "time",
            String(commitTime), "mysql_gtid", mysqlGTIDText, "server_id", source.map { String($0.serverID) } ?? "",
            "server_uuid",
            source?.serverUUID ?? "", "flavor", source?.flavor ?? "",
        ]
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
        var source: SourceIdentity?
        if let id = fields["server_id"].flatMap({ UInt32($0) }), let flavor = fields["flavor"], !flavor.isEmpty {
            source = SourceIdentity(serverID: id, serverUUID: fields["server_uuid"], flavor: flavor)
        }
        guard
            let checkpoint = SinkCheckpoint(
                position: BinlogPosition(file: file, offset: offset), gtidText: fields["gtid"] ?? "",
                commitTime: time, mysqlGTIDText: fields["mysql_gtid"] ?? "", source: source)
        else {
            throw RedisError(
                .protocolViolation,
                "checkpoint \(key) has a malformed GTID (gtid `\(fields["gtid"] ?? "")`, "
                    + "mysql_gtid `\(fields["mysql_gtid"] ?? "")`)")
        }
        return checkpoint
    }
}
