import Binlog

/// One Kafka message for one row change. Pure: built from the change, where its transaction came
/// from, and its version.
///
/// - key: `db.table` followed by the primary key values as a JSON array (`payments.accounts[42]`,
///   `shop.items[7,"a:b"]`), so every change of one row lands in one partition, in commit order.
///   A table without a (known) primary key uses `db.table` alone: all its changes share a partition.
///   The key comes from the after image (insert, update) or the before image (delete).
/// - value: the change-event JSON of docs/change-events.md with a last member `version` (the row
///   version as decimal text, as the Redis sinks compare it; null when the table has no mapping and
///   the transaction no MariaDB GTID).
/// - headers: `sluice.file`, `sluice.pos` (the rows event), `sluice.end` (the transaction's end, a
///   resume point), `sluice.gtid` (when the source has GTIDs), `sluice.version` (when known).
public struct KafkaChangeMessage: Sendable, Equatable {
    /// Where a transaction came from: what the change-event `source` object needs.
    public struct Origin: Sendable, Equatable {
        public var serverID: UInt32
        /// GTID text (`0-1-42` or `uuid:42`), nil when the source writes none.
        public var gtid: String?
        /// Commit time, seconds since the epoch.
        public var timestamp: UInt32
        /// End of the transaction in the binlog.
        public var end: BinlogPosition

        public init(serverID: UInt32, gtid: String?, timestamp: UInt32, end: BinlogPosition) {
            self.serverID = serverID
            self.gtid = gtid
            self.timestamp = timestamp
            self.end = end
        }
    }

    public var topic: String
    public var key: [UInt8]
    public var value: [UInt8]
    public var headers: [(name: String, value: String)]

    public static func == (a: KafkaChangeMessage, b: KafkaChangeMessage) -> Bool {
        a.topic == b.topic && a.key == b.key && a.value == b.value
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    public init(change: RowChange, origin: Origin, version: String?, topic: String) {
        self.topic = topic
        key = Array(Self.key(of: change).utf8)
        let event = ChangeEvent(
            op: change.kind == .insert ? .insert : change.kind == .update ? .update : .delete,
            schema: change.database, table: change.table,
            before: change.before.map { Self.named(change.columns, $0) },
            after: change.after.map { Self.named(change.columns, $0) },
            source: ChangeEvent.Source(
                serverID: origin.serverID, file: change.position.file, position: change.position.offset,
                gtid: origin.gtid, timestamp: origin.timestamp))
        var json = event.jsonLine
        // The change-event object always ends with "}": the version goes in as its last member.
        json.removeLast()
        json += ",\"version\":"
        if let version { ColumnValue.string(version).appendJSON(into: &json) } else { json += "null" }
        json += "}"
        value = Array(json.utf8)
        var headers: [(name: String, value: String)] = [
            ("sluice.file", change.position.file), ("sluice.pos", String(change.position.offset)),
            ("sluice.end", origin.end.description),
        ]
        if let gtid = origin.gtid { headers.append(("sluice.gtid", gtid)) }
        if let version { headers.append(("sluice.version", version)) }
        self.headers = headers
    }

    /// `db.table` plus the primary key values as a JSON array.
    public static func key(of change: RowChange) -> String {
        var key = change.qualifiedTable
        guard !change.primaryKey.isEmpty, let image = change.kind == .delete ? change.before : change.after else {
            return key
        }
        key += "["
        for (n, i) in change.primaryKey.enumerated() {
            if n > 0 { key += "," }
            if i >= 0 && i < image.count { image[i].appendJSON(into: &key) } else { key += "null" }
        }
        key += "]"
        return key
    }

    private static func named(_ columns: [String], _ values: [ColumnValue]) -> [ChangeEvent.NamedValue] {
        values.enumerated().map { i, v in ChangeEvent.NamedValue(i < columns.count ? columns[i] : "@\(i + 1)", v) }
    }
}
