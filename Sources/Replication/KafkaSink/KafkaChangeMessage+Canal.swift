import Binlog

/// Canal's flatMessage JSON as canal-kafka writes it (`flatMessage = true`): members in the
/// alphabetical order its JSON writer uses, every column value as a string (null as null), one
/// row per message (docs/change-events.md has the mapping per type).
enum CanalEvent {
    static func value(
        _ change: RowChange, origin: KafkaChangeMessage.Origin, context: KafkaChangeMessage.Context
    ) -> String {
        let image = (change.kind == .delete ? change.before : change.after) ?? []
        let types = change.columns.indices.map {
            $0 < change.columnTypes.count ? ColumnTypeText.text(change.columnTypes[$0]) : nil
        }
        var out = "{\"data\":["
        row(image, change.columns, only: nil, into: &out)
        out += "],\"database\":"
        DebeziumEvent.quote(change.database, into: &out)
        out += ",\"es\":\(Int64(origin.timestamp) * 1000),\"gtid\":"
        DebeziumEvent.quote(origin.gtid ?? "", into: &out)
        out += ",\"id\":\(origin.end.offset),\"isDdl\":false,\"mysqlType\":"
        typeObject(change.columns, types, into: &out) { ColumnValue.string($0 ?? "").jsonText }
        out += ",\"old\":"
        if change.kind == .update, let before = change.before, let after = change.after {
            // The previous values of the columns the update changed.
            let changed = Set(before.indices.filter { $0 < after.count && before[$0] != after[$0] })
            out += "["
            row(before, change.columns, only: changed, into: &out)
            out += "]"
        } else {
            out += "null"
        }
        out += ",\"pkNames\":"
        if change.primaryKey.isEmpty {
            out += "null"
        } else {
            out += "["
            for (n, i) in change.primaryKey.enumerated() where i < change.columns.count {
                if n > 0 { out += "," }
                DebeziumEvent.quote(change.columns[i], into: &out)
            }
            out += "]"
        }
        out += ",\"sql\":\"\",\"sqlType\":"
        typeObject(change.columns, types, into: &out) { String($0.map(ColumnTypeText.sqlType) ?? 1111) }
        out += ",\"table\":"
        DebeziumEvent.quote(change.table, into: &out)
        out += ",\"ts\":\(context.processedMS),\"type\":\""
        out +=
            // Canal has no snapshot type: its full loads are INSERTs, and so are snapshot rows.
            change.kind == .insert || context.snapshot ? "INSERT" : change.kind == .update ? "UPDATE" : "DELETE"
        return out + "\"}"
    }

    private static func row(_ values: [ColumnValue], _ columns: [String], only: Set<Int>?, into out: inout String) {
        out += "{"
        var first = true
        for (i, v) in values.enumerated() where only?.contains(i) ?? true {
            if !first { out += "," }
            first = false
            DebeziumEvent.quote(i < columns.count ? columns[i] : "@\(i + 1)", into: &out)
            out += ":"
            if let text = text(v) { DebeziumEvent.quote(text, into: &out) } else { out += "null" }
        }
        out += "}"
    }

    private static func typeObject(
        _ columns: [String], _ types: [String?], into out: inout String, _ each: (String?) -> String
    ) {
        out += "{"
        for (i, name) in columns.enumerated() {
            if i > 0 { out += "," }
            DebeziumEvent.quote(name, into: &out)
            out += ":"
            out += each(types[i])
        }
        out += "}"
    }

    /// A value as Canal's text: the Redis text, except binaries as ISO-8859-1 text (one character
    /// per byte, as Canal decodes them) and a bare BIT as its number.
    static func text(_ value: ColumnValue) -> String? {
        switch value {
        case .bytes(let b), .geometry(let b):
            return String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) }))
        default:
            return RedisValueText.text(value)
        }
    }
}
