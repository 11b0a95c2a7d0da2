import Binlog
import Foundation

/// The Debezium MySQL connector's change event, as its JSON converter writes it with schemas
/// disabled, `decimal.handling.mode=string`, `time.precision.mode=connect` and
/// `binary.handling.mode=bytes` (docs/change-events.md has the mapping per type).
enum DebeziumEvent {
    /// The key: a JSON object of the primary key columns (`{}` when the table has none).
    static func key(_ change: RowChange, keyColumns: [Int]) -> String {
        let image = (change.kind == .delete ? change.before : change.after) ?? []
        var out = "{"
        for (n, i) in keyColumns.enumerated() where i < change.columns.count {
            if n > 0 { out += "," }
            quote(change.columns[i], into: &out)
            out += ":"
            append(i < image.count ? image[i] : .null, type: type(change, i), into: &out)
        }
        return out + "}"
    }

    /// The value: `before`, `after`, `source`, `op`, `ts_ms`, `transaction`.
    static func value(
        _ change: RowChange, origin: KafkaChangeMessage.Origin, context: KafkaChangeMessage.Context
    ) -> String {
        var out = "{\"before\":"
        image(change.before, change, into: &out)
        out += ",\"after\":"
        image(change.after, change, into: &out)
        out += ",\"source\":"
        out += source(
            database: change.database, table: change.table, file: change.position.file,
            position: change.position.offset,
            row: change.ordinal, origin: origin, context: context)
        out += ",\"op\":\""
        out += context.snapshot ? "r" : change.kind == .insert ? "c" : change.kind == .update ? "u" : "d"
        out += "\",\"ts_ms\":\(context.processedMS),\"transaction\":"
        if let t = context.transaction {
            out += "{\"id\":"
            quote(t.id, into: &out)
            out += ",\"total_order\":\(t.totalOrder),\"data_collection_order\":\(t.tableOrder)}"
        } else {
            out += "null"
        }
        return out + "}"
    }

    /// The `source` block (`table` null for a schema change).
    static func source(
        database: String, table: String?, file: String, position: UInt64, row: Int, origin: KafkaChangeMessage.Origin,
        context: KafkaChangeMessage.Context
    ) -> String {
        var out = "{\"version\":"
        quote(context.version, into: &out)
        out += ",\"connector\":\"mysql\",\"name\":"
        quote(context.serverName, into: &out)
        out += ",\"ts_ms\":\(Int64(origin.timestamp) * 1000),\"snapshot\":"
        out += context.snapshot ? "\"true\"" : "\"false\""
        out += ",\"db\":"
        quote(database, into: &out)
        out += ",\"table\":"
        if let table { quote(table, into: &out) } else { out += "null" }
        out += ",\"server_id\":\(origin.serverID),\"gtid\":"
        if let gtid = origin.gtid { quote(gtid, into: &out) } else { out += "null" }
        out += ",\"file\":"
        quote(file, into: &out)
        return out + ",\"pos\":\(position),\"row\":\(row)}"
    }

    private static func type(_ change: RowChange, _ i: Int) -> String? {
        i < change.columnTypes.count ? ColumnTypeText.text(change.columnTypes[i]) : nil
    }

    private static func image(_ values: [ColumnValue]?, _ change: RowChange, into out: inout String) {
        guard let values else {
            out += "null"
            return
        }
        out += "{"
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            quote(i < change.columns.count ? change.columns[i] : "@\(i + 1)", into: &out)
            out += ":"
            append(v, type: type(change, i), into: &out)
        }
        out += "}"
    }

    static func quote(_ s: String, into out: inout String) {
        ColumnValue.string(s).appendJSON(into: &out)
    }

    /// One value in Debezium's encoding; `type` is the column's `ColumnTypeText` (BIT width).
    static func append(_ value: ColumnValue, type: String?, into out: inout String) {
        switch value {
        case .date(let d):
            // io.debezium.time.Date / connect Date: days since the epoch; a zero date is null.
            out += d.month > 0 && d.day > 0 ? String(days(d.year, d.month, d.day)) : "null"
        case .time(let t):
            // connect Time: milliseconds since midnight (negative or over 24 h as MySQL holds it).
            let ms = ((t.hours * 60 + t.minutes) * 60 + t.seconds) * 1000 + t.microseconds / 1000
            out += String(t.negative ? -ms : ms)
        case .datetime(let dt):
            // connect Timestamp: milliseconds since the epoch, the value read as UTC; zero is null.
            let seconds = days(dt.year, dt.month, dt.day) * 86_400 + (dt.hour * 60 + dt.minute) * 60 + dt.second
            out += dt.month > 0 && dt.day > 0 ? String(seconds * 1000 + dt.microseconds / 1000) : "null"
        case .timestamp(let ts):
            // io.debezium.time.ZonedTimestamp: ISO-8601 in UTC, the column's fraction digits.
            var text = ""
            ts.utcDateTime.appendText(into: &text)
            out += "\"" + text.replacingOccurrences(of: " ", with: "T") + "Z\""
        case .set(let bits, let names):
            quote(names?.joined(separator: ",") ?? String(bits), into: &out)
        case .enumValue(let index, let name):
            quote(name ?? String(index), into: &out)
        case .bit(let v):
            let width = type.flatMap(ColumnTypeText.parameter) ?? 64
            if width == 1 {
                out += v != 0 ? "true" : "false"
            } else {
                // io.debezium.data.Bits: little-endian bytes, as many as the width needs, base64.
                let bytes = (0..<(width + 7) / 8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
                out += "\"" + Data(bytes).base64EncodedString() + "\""
            }
        case .json(let text):
            quote(text, into: &out)
        case .jsonDiff:
            quote(value.jsonText, into: &out)
        case .geometry(let b):
            // io.debezium.data.geometry.Geometry: {"wkb": base64, "srid": n}; the stored value
            // is the 4-byte little-endian SRID followed by the WKB.
            let srid = b.count >= 4 ? b[0..<4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } : 0
            out += "{\"wkb\":\"" + Data(b.dropFirst(min(4, b.count))).base64EncodedString() + "\",\"srid\":\(srid)}"
        case .null, .int, .uint, .float, .double, .decimal, .year, .string, .bytes:
            // Numbers as numbers, DECIMAL as its exact text, text as text, binaries base64.
            value.appendJSON(into: &out)
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
