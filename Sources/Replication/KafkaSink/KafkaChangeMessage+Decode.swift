import Binlog

/// One consumed Kafka change message, decoded: the row change as the mappings consume it, the
/// version the producer computed, and the source coordinates of its transaction. The inverse of
/// the Kafka sink's message (key `db.table[pk...]`, value the change-event JSON of
/// docs/change-events.md with a last member `version`, headers `sluice.file`, `sluice.pos`,
/// `sluice.end`, `sluice.gtid`, `sluice.version`).
///
/// Column values come back so that `RedisValueText` and `ColumnValue.appendJSON` give the same text
/// the primary sink wrote: integers as integers, other numbers (FLOAT, DOUBLE, numbers in a MySQL
/// JSON document) and objects as their exact JSON text (`.json`), arrays of strings in the compact
/// form as SET members, strings as strings (DECIMAL, dates, base64 binaries and ENUM names are
/// strings already). Known limitation: a MySQL JSON column holding a bare string scalar comes back
/// as a text value (its Redis text loses the quotes).
public struct DRChange: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var change: RowChange
    /// The row version the producer computed (decimal digits), nil when it had none.
    public var version: String?
    /// Source commit time, seconds since the epoch.
    public var commitTime: UInt32
    /// GTID text of the transaction, when the source writes them.
    public var gtid: String?
    /// End of the transaction in the source binlog (a resume point).
    public var end: BinlogPosition

    public var place: String { "\(topic)[\(partition)]@\(offset)" }

    /// Decodes one consumed message; every missing or malformed part is a `.badMessage` error.
    public init(topic: String, partition: Int32, offset: Int64, value: [UInt8]?, headers: [(String, [UInt8]?)]) throws(DRError) {
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
        guard case .string(let op)? = root["op"]?.content, let kind = RowChange.Kind(rawValue: op) else {
            throw bad("missing or unknown \"op\"")
        }
        guard case .string(let db)? = root["db"]?.content, case .string(let table)? = root["table"]?.content else {
            throw bad("missing \"db\" or \"table\"")
        }
        guard let source = root["source"], case .string(let file)? = source["file"]?.content,
            let posText = source["pos"]?.raw, let pos = UInt64(posText),
            let tsText = source["ts"]?.raw, let ts = UInt32(tsText)
        else { throw bad("missing or malformed \"source\" (file, pos, ts)") }
        if case .string(let g)? = source["gtid"]?.content { gtid = g } else { gtid = nil }
        commitTime = ts
        guard let endText = header["sluice.end"], let end = BinlogPosition(parsing: endText) else {
            throw bad("missing or malformed header sluice.end (the transaction's end position)")
        }
        self.end = end
        switch root["version"]?.content {
        case .string(let v)? where !v.isEmpty && v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }): version = v
        case .null?, nil: version = nil
        default: throw bad("\"version\" is not a string of decimal digits")
        }
        let before = try Self.image(root["before"], "before", bad)
        let after = try Self.image(root["after"], "after", bad)
        guard let columns = (after ?? before)?.map(\.0) else { throw bad("\(op) without a row image") }
        if let before, let after, before.map(\.0) != after.map(\.0) {
            throw bad("before and after images name different columns")
        }
        change = RowChange(
            database: db, table: table, kind: kind, columns: columns, before: before?.map(\.1), after: after?.map(\.1),
            gtid: gtid.flatMap { MariaDBGTID(parsing: Substring($0)) }, ordinal: 0,
            position: BinlogPosition(file: file, offset: pos))
    }

    private static func image(_ node: JSONNode?, _ which: String, _ bad: (String, String?) -> DRError) throws(DRError) -> [(String, ColumnValue)]? {
        guard let node else { throw bad("missing \"\(which)\"", nil) }
        switch node.content {
        case .null: return nil
        case .object(let members): return members.map { ($0.0, columnValue($0.1)) }
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
