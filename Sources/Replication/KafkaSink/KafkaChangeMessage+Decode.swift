import Binlog
import Ops

/// One consumed Kafka change message, decoded: the row change as the mappings consume it, the
/// version the producer computed, and the source coordinates of its transaction. The inverse of
/// the Kafka sink's message in each `[kafka] format`, told apart by the `sluice.format` header
/// (absent: sluice): sluice's change-event JSON with a last member `version`; the Debezium
/// envelope with the column types in the `sluice.types` header; Canal's flatMessage with its own
/// `mysqlType`. Every format carries the headers `sluice.end` and (when known) `sluice.version`,
/// `sluice.gtid`.
///
/// Column values come back so that `RedisValueText` and `ColumnValue.appendJSON` give the same text
/// the primary sink wrote (`DRColumnValue` for the Debezium and Canal encodings): integers as
/// integers, other numbers (FLOAT, DOUBLE, numbers in a MySQL JSON document) and objects as their
/// exact JSON text (`.json`), arrays of strings in the compact form as SET members, strings as
/// strings (DECIMAL, dates, base64 binaries and ENUM names are strings already). Known limitation:
/// a MySQL JSON column holding a bare string scalar comes back as a text value (its Redis text
/// loses the quotes).
package struct DRChange: Sendable, Equatable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var change: RowChange
    /// The row version the producer computed (decimal digits), nil when it had none.
    package var version: String?
    /// Source commit time, seconds since the epoch.
    package var commitTime: UInt32
    /// GTID text of the transaction, when the source writes them.
    package var gtid: String?
    /// End of the transaction in the source binlog (a resume point).
    package var end: BinlogPosition

    package var place: String { "\(topic)[\(partition)]@\(offset)" }

    /// What each format's decoder finds in a value.
    struct Parsed {
        var kind: RowChange.Kind
        var database: String
        var table: String
        var file: String
        var position: UInt64
        var gtid: String?
        var commitTime: UInt32
        var before: [(String, ColumnValue)]?
        var after: [(String, ColumnValue)]?
    }

    typealias Bad = (String, String?) -> DRError

    /// Whether a consumed message is a tombstone (no value): the second message of a delete on a
    /// compacted topic, which the applier passes over (the delete before it carried the change).
    package static func isTombstone(value: [UInt8]?) -> Bool { value == nil }

    /// Whether a consumed message is a statement event (DDL, header `sluice.ddl`) or a
    /// transaction's BEGIN/END record (`sluice.transaction`): no row to apply.
    package static func isSchemaChange(headers: [(String, [UInt8]?)]) -> Bool {
        headers.contains { $0.0 == "sluice.ddl" || $0.0 == "sluice.transaction" }
    }

    /// Decodes one consumed message; every missing or malformed part is a `.badMessage` error.
    package init(topic: String, partition: Int32, offset: Int64, value: [UInt8]?, headers: [(String, [UInt8]?)]) throws(DRError) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        let place = "\(topic)[\(partition)]@\(offset)"
        func bad(_ message: String, _ cause: String? = nil) -> DRError { DRError(.badMessage, message, place: place, cause: cause) }
        var header: [String: String] = [:]
        for (name, bytes) in headers {
            if let bytes, let text = String(validating: bytes, as: UTF8.self) { header[name] = text }
        }
        guard let value else { throw bad("message has no value (a tombstone?)") }
        let root: JSONNode
        do {
            root = try JSONNode.parse(value)
        } catch {
            throw bad("value is not JSON", error.description)
        }
        guard let endText = header["sluice.end"], let end = BinlogPosition(parsing: endText) else {
            throw bad("missing or malformed header sluice.end (the transaction's end position)")
        }
        self.end = end
        let formatName = header["sluice.format"] ?? "sluice"
        guard let format = KafkaConfig.MessageFormat(rawValue: formatName) else {
            throw bad("header sluice.format names an unknown format \"\(formatName)\"")
        }
        let parsed: Parsed
        switch format {
        case .sluice: parsed = try Self.sluice(root, bad)
        case .debezium: parsed = try Self.debezium(root, types: header["sluice.types"], bad)
        case .canal: parsed = try Self.canal(root, headers: header, bad)
        }
        if format == .sluice {
            switch root["version"]?.content {
            case .string(let v)? where Self.isDigits(v): version = v
            case .null?, nil: version = nil
            default: throw bad("\"version\" is not a string of decimal digits")
            }
        } else if let v = header["sluice.version"] {
            // Debezium and Canal consumers never see it: the version travels in a header.
            guard Self.isDigits(v) else { throw bad("header sluice.version is not a string of decimal digits") }
            version = v
        } else {
            version = nil
        }
        gtid = parsed.gtid
        commitTime = parsed.commitTime
        guard let columns = (parsed.after ?? parsed.before)?.map(\.0) else {
            throw bad("\(parsed.kind.rawValue) without a row image")
        }
        if let before = parsed.before, let after = parsed.after, before.map(\.0) != after.map(\.0) {
            throw bad("before and after images name different columns")
        }
        change = RowChange(
            database: parsed.database, table: parsed.table, kind: parsed.kind, columns: columns,
            before: parsed.before?.map(\.1), after: parsed.after?.map(\.1),
            gtid: parsed.gtid.flatMap { MariaDBGTID(parsing: Substring($0)) }, ordinal: 0,
            position: BinlogPosition(file: parsed.file, offset: parsed.position))
    }

    private static func isDigits(_ v: String) -> Bool {
        !v.isEmpty && v.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func sluice(_ root: JSONNode, _ bad: Bad) throws(DRError) -> Parsed {
        guard case .string(let op)? = root["op"]?.content, let kind = RowChange.Kind(rawValue: op) else {
            throw bad("missing or unknown \"op\"", nil)
        }
        guard case .string(let db)? = root["db"]?.content, case .string(let table)? = root["table"]?.content else {
            throw bad("missing \"db\" or \"table\"", nil)
        }
        guard let source = root["source"], case .string(let file)? = source["file"]?.content,
            let posText = source["pos"]?.raw, let pos = UInt64(posText),
            let tsText = source["ts"]?.raw, let ts = UInt32(tsText)
        else { throw bad("missing or malformed \"source\" (file, pos, ts)", nil) }
        var gtid: String?
        if case .string(let g)? = source["gtid"]?.content { gtid = g }
        return Parsed(
            kind: kind, database: db, table: table, file: file, position: pos, gtid: gtid, commitTime: ts,
            before: try image(root["before"], "before", bad) { _, v in columnValue(v) },
            after: try image(root["after"], "after", bad) { _, v in columnValue(v) })
    }

    static func image(
        _ node: JSONNode?, _ which: String, _ bad: Bad, _ value: (String, JSONNode) throws(DRError) -> ColumnValue
    ) throws(DRError) -> [(String, ColumnValue)]? {
        guard let node else { throw bad("missing \"\(which)\"", nil) }
        switch node.content {
        case .null: return nil
        case .object(let members):
            var out: [(String, ColumnValue)] = []
            for (name, v) in members { out.append((name, try value(name, v))) }
            return out
        default: throw bad("\"\(which)\" is neither an object nor null", nil)
        }
    }

    /// The column value whose Redis text and JSON text equal the node's (see the type's comment).
    static func columnValue(_ node: JSONNode) -> ColumnValue {
        switch node.content {
        case .null: return .null
        case .string(let s): return .string(s)
        case .number:
            if let v = Int64(node.raw) { return .int(v) }
            if let v = UInt64(node.raw) { return .uint(v) }
            return .json(node.raw)
        case .array(let items):
            var names: [String] = []
            for item in items {
                guard case .string(let s) = item.content else { return .json(node.raw) }
                names.append(s)
            }
            let set = ColumnValue.set(bits: 0, names: names)
            return set.jsonText == node.raw ? set : .json(node.raw)
        case .bool, .object: return .json(node.raw)
        }
    }
}
