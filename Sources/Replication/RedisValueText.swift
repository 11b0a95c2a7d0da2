import Binlog
import Foundation

/// The one place a column value becomes the text stored in Redis (a hash field, a plain string
/// value, or a part of a key). JSON values (the `json` shape) use `ColumnValue.appendJSON`.
///
/// Canonical text: integers, YEAR and BIT in decimal; FLOAT/DOUBLE as the shortest text that
/// reads back to the same number; DECIMAL as its exact text with the column's scale; DATE
/// `YYYY-MM-DD`, TIME `[-]HH:MM:SS[.ffffff]`, DATETIME `YYYY-MM-DD HH:MM:SS[.ffffff]`, TIMESTAMP
/// the same in UTC; text as UTF-8; binary strings, blobs and GEOMETRY as base64; ENUM as its
/// member name (its index when the name is unknown); SET as member names joined by `,` (the
/// bitmask in decimal when names are unknown); JSON as its canonical JSON text; VECTOR as its JSON
/// array. NULL has no text.
package enum RedisValueText {
    package static func text(_ value: ColumnValue) -> String? {
        switch value {
        case .null: return nil
        case .int(let v): return String(v)
        case .uint(let v), .bit(let v): return String(v)
        case .year(let y): return String(y)
        case .float(let v): return v.description
        case .double(let v): return v.description
        case .decimal(let s), .string(let s), .json(let s): return s
        // A diff is not the document; TableMapping refuses it before any text is made
        // (MappingError.partialValue). Its change-event JSON text is what a log line shows.
        case .jsonDiff, .vector: return value.jsonText
        case .date(let d):
            var s = ""
            d.appendText(into: &s)
            return s
        case .time(let t):
            var s = ""
            t.appendText(into: &s)
            return s
        case .datetime(let dt):
            var s = ""
            dt.appendText(into: &s)
            return s
        case .timestamp(let ts):
            var s = ""
            ts.utcDateTime.appendText(into: &s)
            return s
        case .bytes(let b), .geometry(let b):
            return Data(b).base64EncodedString()
        case .enumValue(let index, let name):
            return name ?? String(index)
        case .set(let bits, let names):
            return names.map { $0.joined(separator: ",") } ?? String(bits)
        }
    }

    /// A JSON object of the given (name, value) pairs, values encoded by `ColumnValue.appendJSON`.
    package static func jsonObject(_ pairs: [(String, ColumnValue)]) -> String {
        var out = "{"
        for (i, (name, value)) in pairs.enumerated() {
            if i > 0 { out.append(",") }
            ColumnValue.string(name).appendJSON(into: &out)
            out.append(":")
            value.appendJSON(into: &out)
        }
        out.append("}")
        return out
    }
}
