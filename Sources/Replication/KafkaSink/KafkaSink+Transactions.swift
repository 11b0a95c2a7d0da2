import Binlog

extension KafkaSink {
    /// Every message of one transaction (or chunk) in order: with `Settings.transactionTopic`, a
    /// BEGIN record before its first chunk's changes and an END record with the per-table event
    /// counts after its last chunk; its row changes; its statement event (DDL) when
    /// `Settings.ddlTopic` is set. Throws a mapping's error unless it skips.
    package func messages(for transaction: PipelineTransaction) throws(MappingError) -> [KafkaChangeMessage] {
        var out: [KafkaChangeMessage] = []
        let changes = transaction.changes
        let topic = settings.transactionTopic
        if let topic, let first = changes.first, first.ordinal == 0 {
            let id = Self.transactionID(first, transaction.origin)
            openTransaction = (id, [:])
            out.append(record("BEGIN", id: id, transaction.origin, topic: topic))
        }
        out += try messages(for: changes, origin: transaction.origin)
        if let topic, let open = openTransaction {
            for change in changes { openTransaction?.counts[change.qualifiedTable, default: 0] += 1 }
            if transaction.checkpoint != nil {
                out.append(record("END", id: open.id, transaction.origin, topic: topic))
                openTransaction = nil
            }
        }
        if let statement = transaction.statement { out += messages(for: statement) }
        return out
    }

    /// The transaction's GTID, else `file:offset` of its start.
    static func transactionID(_ change: RowChange, _ origin: KafkaChangeMessage.Origin) -> String {
        origin.gtid ?? "\(change.position.file):\(change.position.offset)"
    }

    /// A BEGIN or END record as Debezium's transaction topic carries it (`status`, `id`, `ts_ms`,
    /// `event_count`, `data_collections` with each table's `event_count`), keyed `{"id": ...}`.
    private func record(_ status: String, id: String, _ origin: KafkaChangeMessage.Origin, topic: String)
        -> KafkaChangeMessage
    {
        var value = "{\"status\":\"\(status)\",\"id\":" + ColumnValue.string(id).jsonText
        value += ",\"ts_ms\":\(Int64(origin.timestamp) * 1000),\"event_count\":"
        if status == "END", let counts = openTransaction?.counts {
            value += "\(counts.values.reduce(0, +)),\"data_collections\":["
            value += counts.sorted { $0.key < $1.key }.map {
                "{\"data_collection\":" + ColumnValue.string($0.key).jsonText + ",\"event_count\":\($0.value)}"
            }.joined(separator: ",")
            value += "]}"
        } else {
            value += "null,\"data_collections\":null}"
        }
        var headers: [(name: String, value: String)] = [("sluice.end", origin.end.description)]
        if let gtid = origin.gtid { headers.append(("sluice.gtid", gtid)) }
        headers.append(("sluice.transaction", status))
        return KafkaChangeMessage(
            topic: topic, key: Array(("{\"id\":" + ColumnValue.string(id).jsonText + "}").utf8),
            value: Array(value.utf8),
            headers: headers)
    }
}
