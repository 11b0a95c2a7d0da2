import Binlog
import Ops

/// One Kafka message for one row change. Pure: built from the change, where its transaction came
/// from, its version, and the `Context` (format, key columns, transaction order).
///
/// - key: sluice and Canal: `db.table` followed by the key values as a JSON array
///   (`payments.accounts[42]`, `shop.items[7,"a:b"]`); Debezium: a JSON object of them
///   (`{"id":42}`). The key columns are the primary key unless `Context.keyColumns` says otherwise,
///   so every change of one row lands in one partition, in commit order; a table without a (known)
///   primary key has one key for all its rows. The values come from the after image (insert,
///   update) or the before image (delete).
/// - value: sluice: the change-event JSON of docs/change-events.md with a last member `version`
///   (the row version as decimal text, as the Redis sinks compare it; null when the table has no
///   mapping and the transaction no MariaDB GTID); Debezium: its envelope
///   (`KafkaChangeMessage+Debezium.swift`); Canal: its flatMessage (`KafkaChangeMessage+Canal.swift`).
///   nil for a tombstone.
/// - headers: `sluice.file`, `sluice.pos` (the rows event), `sluice.end` (the transaction's end, a
///   resume point), `sluice.gtid` (when the source has GTIDs), `sluice.version` (when known),
///   `sluice.types` (Debezium: the column types the DR applier reads the values back with),
///   `sluice.format`.
package struct KafkaChangeMessage: Sendable, Equatable {
    /// Where a transaction came from: what the change-event `source` object needs.
    package struct Origin: Sendable, Equatable {
        package var serverID: UInt32
        /// GTID text (`0-1-42` or `uuid:42`), nil when the source writes none.
        package var gtid: String?
        /// Commit time, seconds since the epoch.
        package var timestamp: UInt32
        /// End of the transaction in the binlog.
        package var end: BinlogPosition

        package init(serverID: UInt32, gtid: String?, timestamp: UInt32, end: BinlogPosition) {
            self.serverID = serverID
            self.gtid = gtid
            self.timestamp = timestamp
            self.end = end
        }
    }

    /// What the encoding needs besides the change and its origin.
    package struct Context: Sendable, Equatable {
        /// Transaction metadata of one event (Debezium's `transaction` block).
        package struct Transaction: Sendable, Equatable {
            /// The transaction's GTID, else `file:offset` of its end.
            package var id: String
            /// 1-based order of the event in its transaction, and among its table's events there.
            package var totalOrder: Int
            package var tableOrder: Int
            package init(id: String, totalOrder: Int, tableOrder: Int) {
                self.id = id
                self.totalOrder = totalOrder
                self.tableOrder = tableOrder
            }
        }

        package var format: KafkaConfig.MessageFormat
        /// Debezium `source.name` (the connector's logical server name).
        package var serverName: String
        /// Debezium `source.version`.
        package var version: String
        /// When the message was made (Debezium `ts_ms`, Canal `ts`), milliseconds since the epoch.
        package var processedMS: Int64
        /// A snapshot row (Debezium `op` "r"; Canal, which has no snapshot type, `INSERT`).
        package var snapshot: Bool
        package var transaction: Transaction?
        /// Indexes of the key columns (default: the primary key).
        package var keyColumns: [Int]?

        package init(
            format: KafkaConfig.MessageFormat = .sluice, serverName: String = "sluice",
            version: String = SluiceVersion.current, processedMS: Int64 = 0, snapshot: Bool = false,
            transaction: Transaction? = nil, keyColumns: [Int]? = nil
        ) {
            self.format = format
            self.serverName = serverName
            self.version = version
            self.processedMS = processedMS
            self.snapshot = snapshot
            self.transaction = transaction
            self.keyColumns = keyColumns
        }
    }

    package var topic: String
    package var key: [UInt8]
    /// nil for a tombstone (a delete's second message on a compacted topic).
    package var value: [UInt8]?
    package var headers: [(name: String, value: String)]
    /// The partition it goes to; nil: the partitioner chooses from the key (row messages).
    package var partition: Int32?

    package static func == (a: KafkaChangeMessage, b: KafkaChangeMessage) -> Bool {
        a.topic == b.topic && a.key == b.key && a.value == b.value && a.partition == b.partition
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    package init(
        change: RowChange, origin: Origin, version: String?, topic: String, context: Context = Context()
    ) {
        self.topic = topic
        let keyColumns = context.keyColumns ?? change.primaryKey
        var headers: [(name: String, value: String)] = [
            ("sluice.file", change.position.file), ("sluice.pos", String(change.position.offset)),
            ("sluice.end", origin.end.description),
        ]
        if let gtid = origin.gtid { headers.append(("sluice.gtid", gtid)) }
        if let version { headers.append(("sluice.version", version)) }
        switch context.format {
        case .sluice:
            key = Self.keyBytes(of: change, columns: keyColumns)
            value = Self.sluiceValue(change, origin: origin, version: version, context: context)
        case .debezium:
            key = Array(DebeziumEvent.key(change, keyColumns: keyColumns).utf8)
            value = Array(DebeziumEvent.value(change, origin: origin, context: context).utf8)
            // What the DR applier needs to read Debezium's value encodings back exactly.
            if !change.columnTypes.isEmpty {
                let pairs = zip(change.columns, change.columnTypes).map { ($0, ColumnValue.string(ColumnTypeText.text($1))) }
                headers.append(("sluice.types", RedisValueText.jsonObject(pairs)))
            }
        case .canal:
            key = Self.keyBytes(of: change, columns: keyColumns)
            value = Array(CanalEvent.value(change, origin: origin, context: context).utf8)
        }
        headers.append(("sluice.format", context.format.rawValue))
        self.headers = headers
    }

    init(topic: String, key: [UInt8], value: [UInt8]?, headers: [(name: String, value: String)]) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The tombstone that follows a delete on a compacted topic: the delete's key, no value.
    package init(tombstoneAfter delete: KafkaChangeMessage) {
        topic = delete.topic
        key = delete.key
        value = nil
        headers = delete.headers.filter { $0.name != "sluice.types" }
    }

    /// sluice's change-event JSON with the version as its last member, written straight into
    /// bytes (the same text as `ChangeEvent.jsonLine(of:source:)` plus the members after it).
    private static func sluiceValue(_ change: RowChange, origin: Origin, version: String?, context: Context)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(256 + 48 * change.columns.count * (change.kind == .update ? 2 : 1))
        let source = ChangeEvent.Source(
            serverID: origin.serverID, file: change.position.file, position: change.position.offset,
            gtid: origin.gtid, timestamp: origin.timestamp)
        ChangeEvent.appendJSON(of: change, source: source, into: &out)
        // The change-event object always ends with "}": the version goes in as its last member.
        out.removeLast()
        if let t = context.transaction {
            out.appendASCII(",\"transaction\":{\"id\":")
            out.appendJSONQuoted(t.id)
            out.appendASCII(",\"total_order\":")
            out.appendDecimal(Int64(t.totalOrder))
            out.appendASCII(",\"data_collection_order\":")
            out.appendDecimal(Int64(t.tableOrder))
            out.append(0x7D)
        }
        out.appendASCII(",\"version\":")
        if let version { out.appendJSONQuoted(version) } else { out.appendASCII("null") }
        out.append(0x7D)
        return out
    }

    /// `db.table` plus the primary key values as a JSON array.
    package static func key(of change: RowChange, columns: [Int]? = nil) -> String {
        String(decoding: keyBytes(of: change, columns: columns), as: UTF8.self)
    }

    /// `key(of:columns:)` as bytes.
    static func keyBytes(of change: RowChange, columns: [Int]? = nil) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(change.database.utf8.count + change.table.utf8.count + 24)
        key.append(contentsOf: change.database.utf8)
        key.append(0x2E)
        key.append(contentsOf: change.table.utf8)
        let columns = columns ?? change.primaryKey
        guard !columns.isEmpty, let image = change.kind == .delete ? change.before : change.after else {
            return key
        }
        key.append(0x5B)
        for (n, i) in columns.enumerated() {
            if n > 0 { key.append(0x2C) }
            if i >= 0 && i < image.count { image[i].appendJSON(into: &key) } else { key.appendASCII("null") }
        }
        key.append(0x5D)
        return key
    }
}
