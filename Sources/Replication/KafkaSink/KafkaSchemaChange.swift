import Binlog
import Ops

/// A statement event group (a DDL statement, or another statement the binlog carries as such) as
/// the Kafka sink forwards it to `[kafka] ddl_topic`: the statement with credentials masked
/// (`SQLCredentialMask`), its default database, where it starts, and its transaction's origin.
package struct KafkaSchemaChange: Sendable, Equatable {
    package var statement: String
    package var database: String
    package var position: BinlogPosition
    package var origin: KafkaChangeMessage.Origin

    package init(statement: String, database: String, position: BinlogPosition, origin: KafkaChangeMessage.Origin) {
        self.statement = statement
        self.database = database
        self.position = position
        self.origin = origin
    }

    /// Canal's `type` of a DDL statement, and the table it names ("" when none or not parsed).
    var canalKind: (type: String, table: String) {
        let words = statement.split(whereSeparator: { $0.isWhitespace || $0 == "(" }).prefix(8).map { String($0) }
        let upper = words.map { $0.uppercased() }
        func name(after index: Int) -> String {
            var i = index
            while i < upper.count, ["IF", "NOT", "EXISTS", "TABLE", "ONLINE", "IGNORE"].contains(upper[i]) { i += 1 }
            guard i < words.count else { return "" }
            let qualified = words[i].split(separator: ".").last.map(String.init) ?? ""
            return qualified.trimmingCharacters(in: ["`", "\"", ";"])
        }
        func position(of word: String) -> Int? { upper.firstIndex(of: word) }
        switch upper.first ?? "" {
        case "CREATE" where upper.contains("INDEX"):
            return ("CINDEX", position(of: "ON").map { name(after: $0 + 1) } ?? "")
        case "CREATE" where upper.contains("TABLE"): return ("CREATE", position(of: "TABLE").map(name) ?? "")
        case "ALTER" where upper.contains("TABLE"): return ("ALTER", position(of: "TABLE").map(name) ?? "")
        case "DROP" where upper.contains("INDEX"):
            return ("DINDEX", position(of: "ON").map { name(after: $0 + 1) } ?? "")
        case "DROP" where upper.contains("TABLE"): return ("ERASE", position(of: "TABLE").map(name) ?? "")
        case "TRUNCATE": return ("TRUNCATE", name(after: 1))
        case "RENAME": return ("RENAME", position(of: "TABLE").map(name) ?? "")
        default: return ("QUERY", "")
        }
    }

    /// The message in `format`: sluice `{"op":"ddl",...}`, Debezium's schema change event, or
    /// Canal's `isDdl` flatMessage. Headers as for row changes, plus `sluice.ddl`.
    func message(topic: String, context: KafkaChangeMessage.Context) -> KafkaChangeMessage {
        var key = ""
        var value = ""
        switch context.format {
        case .sluice:
            key = database
            value = "{\"op\":\"ddl\",\"db\":" + quoted(database) + ",\"statement\":" + quoted(statement)
            value += ",\"source\":{\"server_id\":\(origin.serverID),\"file\":" + quoted(position.file)
            value += ",\"pos\":\(position.offset),\"gtid\":" + (origin.gtid.map(quoted) ?? "null")
            value += ",\"ts\":\(origin.timestamp)}}"
        case .debezium:
            key = "{\"databaseName\":" + quoted(database) + "}"
            value =
                "{\"source\":"
                + DebeziumEvent.source(
                    database: database, table: nil, file: position.file, position: position.offset, row: 0,
                    origin: origin,
                    context: context)
            value += ",\"ts_ms\":\(context.processedMS),\"databaseName\":" + quoted(database)
            value += ",\"schemaName\":null,\"ddl\":" + quoted(statement) + ",\"tableChanges\":[]}"
        case .canal:
            let kind = canalKind
            key = database
            value = "{\"data\":null,\"database\":" + quoted(database) + ",\"es\":\(Int64(origin.timestamp) * 1000)"
            value += ",\"gtid\":" + quoted(origin.gtid ?? "") + ",\"id\":\(origin.end.offset),\"isDdl\":true"
            value += ",\"mysqlType\":null,\"old\":null,\"pkNames\":null,\"sql\":" + quoted(statement)
            value += ",\"sqlType\":null,\"table\":" + quoted(kind.table) + ",\"ts\":\(context.processedMS)"
            value += ",\"type\":" + quoted(kind.type) + "}"
        }
        var headers: [(name: String, value: String)] = [
            ("sluice.file", position.file), ("sluice.pos", String(position.offset)),
            ("sluice.end", origin.end.description),
        ]
        if let gtid = origin.gtid { headers.append(("sluice.gtid", gtid)) }
        headers += [("sluice.format", context.format.rawValue), ("sluice.ddl", "1")]
        return KafkaChangeMessage(topic: topic, key: Array(key.utf8), value: Array(value.utf8), headers: headers)
    }

    private func quoted(_ s: String) -> String { ColumnValue.string(s).jsonText }
}
