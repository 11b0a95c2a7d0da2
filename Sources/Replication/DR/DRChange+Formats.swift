import Binlog
import Foundation

extension DRChange {
    /// A Debezium envelope (`op` c/r/u/d, `source` with db, table, file, pos, gtid, ts_ms) whose
    /// values are read back by their column types (the `sluice.types` header).
    static func debezium(_ root: JSONNode, types typesHeader: String?, _ bad: Bad) throws(DRError) -> Parsed {
        let kind: RowChange.Kind
        switch root["op"]?.content {
        case .string("c")?, .string("r")?: kind = .insert
        case .string("u")?: kind = .update
        case .string("d")?: kind = .delete
        default: throw bad("missing or unknown Debezium \"op\" (c, r, u, d)", nil)
        }
        guard let source = root["source"], case .string(let db)? = source["db"]?.content,
            case .string(let table)? = source["table"]?.content, case .string(let file)? = source["file"]?.content,
            let pos = source["pos"].flatMap({ UInt64($0.raw) }), let ms = source["ts_ms"].flatMap({ Int64($0.raw) }),
            let ts = UInt32(exactly: ms / 1000)
        else { throw bad("missing or malformed Debezium \"source\" (db, table, file, pos, ts_ms)", nil) }
        var gtid: String?
        if case .string(let g)? = source["gtid"]?.content { gtid = g }
        let types = try typeMap(typesHeader.map { Array($0.utf8) }, "header sluice.types", bad)
        func value(_ name: String, _ node: JSONNode) throws(DRError) -> ColumnValue {
            guard let v = DRColumnValue.debezium(node, type: types[name]) else {
                throw bad("column \(name): \(node.raw) is not a Debezium \(types[name] ?? "value")", nil)
            }
            return v
        }
        return Parsed(
            kind: kind, database: db, table: table, file: file, position: pos, gtid: gtid, commitTime: ts,
            before: try image(root["before"], "before", bad, value),
            after: try image(root["after"], "after", bad, value))
    }

    /// A Canal flatMessage of one row (`type` INSERT/INIT/UPDATE/DELETE, `data`, `old`,
    /// `mysqlType`); the binlog file and position come from the `sluice.file`/`sluice.pos` headers.
    static func canal(_ root: JSONNode, headers: [String: String], _ bad: Bad) throws(DRError) -> Parsed {
        let kind: RowChange.Kind
        switch root["type"]?.content {
        case .string("INSERT")?, .string("INIT")?: kind = .insert
        case .string("UPDATE")?: kind = .update
        case .string("DELETE")?: kind = .delete
        default: throw bad("missing or unknown Canal \"type\" (INSERT, INIT, UPDATE, DELETE)", nil)
        }
        guard case .string(let db)? = root["database"]?.content, case .string(let table)? = root["table"]?.content,
            let es = root["es"].flatMap({ Int64($0.raw) }), let ts = UInt32(exactly: es / 1000)
        else { throw bad("missing or malformed Canal \"database\", \"table\" or \"es\"", nil) }
        guard let file = headers["sluice.file"], let pos = headers["sluice.pos"].flatMap({ UInt64($0) }) else {
            throw bad("missing or malformed header sluice.file or sluice.pos", nil)
        }
        guard case .array(let rows)? = root["data"]?.content, rows.count == 1 else {
            throw bad("Canal \"data\" is not an array of one row", nil)
        }
        var gtid: String?
        if case .string(let g)? = root["gtid"]?.content, !g.isEmpty { gtid = g }
        let types = try typeMap(root["mysqlType"].map { Array($0.raw.utf8) }, "\"mysqlType\"", bad)
        func value(_ name: String, _ node: JSONNode) throws(DRError) -> ColumnValue {
            guard let v = DRColumnValue.canal(node, type: types[name]) else {
                throw bad("column \(name): \(node.raw) is not a Canal \(types[name] ?? "value")", nil)
            }
            return v
        }
        let row = try image(rows[0], "data", bad, value) ?? []
        switch kind {
        case .insert:
            return Parsed(
                kind: kind, database: db, table: table, file: file, position: pos, gtid: gtid, commitTime: ts,
                before: nil, after: row)
        case .delete:
            return Parsed(
                kind: kind, database: db, table: table, file: file, position: pos, gtid: gtid, commitTime: ts,
                before: row, after: nil)
        case .update:
            // `old` holds the previous values of the changed columns only.
            guard case .array(let olds)? = root["old"]?.content, olds.count == 1 else {
                throw bad("Canal UPDATE without an \"old\" array of one row", nil)
            }
            let old = try image(olds[0], "old", bad, value) ?? []
            let before = row.map { column in old.first { $0.0 == column.0 } ?? column }
            return Parsed(
                kind: kind, database: db, table: table, file: file, position: pos, gtid: gtid, commitTime: ts,
                before: before, after: row)
        }
    }

    /// A JSON object of column name -> type text (`ColumnTypeText`); empty when absent.
    private static func typeMap(_ bytes: [UInt8]?, _ what: String, _ bad: Bad) throws(DRError) -> [String: String] {
        guard let bytes else { return [:] }
        let node: JSONNode
        do {
            node = try JSONNode.parse(bytes)
        } catch {
            throw bad("\(what) is not JSON", error.description)
        }
        guard case .object(let members) = node.content else { throw bad("\(what) is not an object", nil) }
        var out: [String: String] = [:]
        for (name, v) in members { if case .string(let t) = v.content { out[name] = t } }
        return out
    }
}

/// Reads a Debezium or Canal column value back into the value the primary sink had, guided by the
/// column's type text (`ColumnTypeText`), so `RedisValueText` gives the DR cluster the same text.
/// nil when the value does not fit its type. What the formats themselves lose stays lost: Debezium's
/// `time.precision.mode=connect` keeps milliseconds (DATETIME/TIME with more fraction digits come
/// back truncated, padded to the column's digits) and writes zero dates as null.
enum DRColumnValue {
    static func debezium(_ node: JSONNode, type: String?) -> ColumnValue? {
        if case .null = node.content { return .null }
        guard let type else { return DRChange.columnValue(node) }
        let family = ColumnTypeText.family(type)
        let fsp = ColumnTypeText.parameter(type) ?? 0
        switch (family, node.content) {
        case ("tinyint", .number), ("smallint", .number), ("mediumint", .number), ("int", .number),
            ("bigint", .number):
            return type.hasSuffix(" unsigned") ? UInt64(node.raw).map { .uint($0) } : Int64(node.raw).map { .int($0) }
        case ("float", .number): return Float(node.raw).map { .float($0) }
        case ("double", .number): return Double(node.raw).map { .double($0) }
        case ("decimal", .string(let s)): return .decimal(s)
        case ("year", .number): return Int(node.raw).map { .year($0) }
        case ("date", .number):
            guard let days = Int(node.raw) else { return nil }
            let d = utc(milliseconds: days * 86_400_000, fsp: 0)
            return .date(MySQLDate(year: d.year, month: d.month, day: d.day))
        case ("time", .number):
            guard let ms = Int(node.raw) else { return nil }
            let a = abs(ms)
            return .time(
                MySQLTime(
                    negative: ms < 0, hours: a / 3_600_000, minutes: a / 60_000 % 60, seconds: a / 1000 % 60,
                    microseconds: a % 1000 * 1000, fsp: fsp))
        case ("datetime", .number):
            return Int(node.raw).map { .datetime(utc(milliseconds: $0, fsp: fsp)) }
        case ("timestamp", .string(let s)):
            guard s.hasSuffix("Z") else { return nil }
            return .string(String(s.dropLast()).replacingOccurrences(of: "T", with: " "))
        case ("char", .string(let s)), ("varchar", .string(let s)), ("tinytext", .string(let s)),
            ("text", .string(let s)), ("mediumtext", .string(let s)), ("longtext", .string(let s)):
            return .string(s)
        case ("binary", .string(let s)), ("varbinary", .string(let s)), ("tinyblob", .string(let s)),
            ("blob", .string(let s)), ("mediumblob", .string(let s)), ("longblob", .string(let s)):
            return Data(base64Encoded: s).map { .bytes(Array($0)) }
        case ("enum", .string(let s)): return .enumValue(index: 0, name: s)
        case ("set", .string(let s)): return set(s)
        case ("bit", .bool(let b)): return .bit(b ? 1 : 0)
        case ("bit", .string(let s)):
            guard let bytes = Data(base64Encoded: s), bytes.count <= 8 else { return nil }
            return .bit(bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        case ("json", .string(let s)): return .json(s)
        case ("geometry", .object):
            guard case .string(let wkb)? = node["wkb"]?.content, let bytes = Data(base64Encoded: wkb),
                let srid = node["srid"].flatMap({ UInt32($0.raw) })
            else { return nil }
            return .geometry((0..<4).map { UInt8(truncatingIfNeeded: srid >> (8 * UInt32($0))) } + Array(bytes))
        default:
            return nil
        }
    }

    static func canal(_ node: JSONNode, type: String?) -> ColumnValue? {
        if case .null = node.content { return .null }
        guard case .string(let s) = node.content else { return nil }
        let family = type.map(ColumnTypeText.family) ?? ""
        switch family {
        case "tinyint", "smallint", "mediumint", "int", "bigint":
            return type?.hasSuffix(" unsigned") == true ? UInt64(s).map { .uint($0) } : Int64(s).map { .int($0) }
        case "float": return Float(s).map { .float($0) }
        case "double": return Double(s).map { .double($0) }
        case "decimal": return .decimal(s)
        case "year": return Int(s).map { .year($0) }
        case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry":
            // ISO-8859-1: one character per byte.
            var bytes: [UInt8] = []
            for scalar in s.unicodeScalars {
                guard scalar.value < 256 else { return nil }
                bytes.append(UInt8(scalar.value))
            }
            return family == "geometry" ? .geometry(bytes) : .bytes(bytes)
        case "enum": return .enumValue(index: 0, name: s)
        case "set": return set(s)
        case "bit": return UInt64(s).map { .bit($0) }
        case "json": return .json(s)
        default:
            // Text, and dates and times (Canal's text is the primary sink's text).
            return .string(s)
        }
    }

    private static func set(_ s: String) -> ColumnValue {
        .set(
            bits: 0, names: s.isEmpty ? [] : s.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    /// The UTC date and time `ms` milliseconds after the epoch, with `fsp` fraction digits.
    static func utc(milliseconds ms: Int, fsp: Int) -> MySQLDateTime {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let micros = (ms - seconds * 1000) * 1000
        guard seconds != 0 || micros != 0 else {
            // `utcDateTime` shows the zero TIMESTAMP as zeros; here it is the epoch itself.
            return MySQLDateTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, microseconds: 0, fsp: fsp)
        }
        return MySQLTimestamp(seconds: Int64(seconds), microseconds: micros, fsp: fsp).utcDateTime
    }
}
