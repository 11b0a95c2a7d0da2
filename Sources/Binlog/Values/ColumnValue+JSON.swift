/// The change-event JSON encoding of one column value (docs/change-events.md, "Column values").
extension ColumnValue {
    /// Appends this value as one JSON value (no surrounding whitespace).
    package func appendJSON(into out: inout String) {
        switch self {
        case .null:
            out.append("null")
        case .int(let v):
            out.append(String(v))
        case .uint(let v):
            out.append(String(v))
        case .float(let v):
            // Shortest text that reads back as the same Float (MySQL has no NaN or infinity).
            out.append(v.isFinite ? v.description : "null")
        case .double(let v):
            out.append(v.isFinite ? v.description : "null")
        case .decimal(let s):
            out.unicodeScalars.append("\"")
            out.append(s)
            out.unicodeScalars.append("\"")
        case .year(let y):
            out.append(String(y))
        case .date(let d):
            out.unicodeScalars.append("\"")
            d.appendText(into: &out)
            out.unicodeScalars.append("\"")
        case .time(let t):
            out.unicodeScalars.append("\"")
            t.appendText(into: &out)
            out.unicodeScalars.append("\"")
        case .datetime(let dt):
            out.unicodeScalars.append("\"")
            dt.appendText(into: &out)
            out.unicodeScalars.append("\"")
        case .timestamp(let ts):
            out.unicodeScalars.append("\"")
            ts.utcDateTime.appendText(into: &out)
            out.unicodeScalars.append("\"")
        case .string(let s):
            out.appendJSONQuoted(s)
        case .bytes(let b), .geometry(let b):
            out.unicodeScalars.append("\"")
            out.appendBase64(b)
            out.unicodeScalars.append("\"")
        case .enumValue(let index, let name):
            if let name { out.appendJSONQuoted(name) } else { out.append(String(index)) }
        case .set(let bits, let names):
            guard let names else {
                out.append(String(bits))
                return
            }
            out.unicodeScalars.append("[")
            for (i, n) in names.enumerated() {
                if i > 0 { out.unicodeScalars.append(",") }
                out.appendJSONQuoted(n)
            }
            out.unicodeScalars.append("]")
        case .bit(let v):
            out.append(String(v))
        case .vector(let elements):
            out.unicodeScalars.append("[")
            for (i, v) in elements.enumerated() {
                if i > 0 { out.unicodeScalars.append(",") }
                out.append(v.description)
            }
            out.unicodeScalars.append("]")
        case .json(let text):
            out.append(text)
        case .jsonDiff(let diffs):
            diffs.appendJSON(into: &out)
        }
    }

    /// This value as a JSON text.
    package var jsonText: String {
        var s = ""
        appendJSON(into: &s)
        return s
    }
}

extension MySQLDate {
    /// `YYYY-MM-DD`; zero parts print as zeros (`0000-00-00`).
    package func appendText(into out: inout String) {
        out.appendDate(year, month, day)
    }
}

extension MySQLTime {
    /// `[-]HH:MM:SS[.f]`: hours may exceed 24 (up to 838), exactly `fsp` fraction digits.
    package func appendText(into out: inout String) {
        if negative { out.unicodeScalars.append("-") }
        out.appendClock(hours, minutes, seconds, microseconds: microseconds, fsp: fsp)
    }
}

extension MySQLDateTime {
    /// `YYYY-MM-DD HH:MM:SS[.f]` with exactly `fsp` fraction digits.
    package func appendText(into out: inout String) {
        out.appendDate(year, month, day)
        out.unicodeScalars.append(" ")
        out.appendClock(hour, minute, second, microseconds: microseconds, fsp: fsp)
    }
}

extension MySQLTimestamp {
    /// The timestamp as a UTC date and time; the zero TIMESTAMP (0 seconds, the stored form of
    /// `0000-00-00 00:00:00`) stays all zeros.
    package var utcDateTime: MySQLDateTime {
        guard seconds != 0 || microseconds != 0 else {
            return MySQLDateTime(year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microseconds: 0, fsp: fsp)
        }
        let secs = Int(seconds)
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let sod = secs - days * 86_400
        // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return MySQLDateTime(
            year: year, month: month, day: day, hour: sod / 3_600, minute: sod / 60 % 60,
            second: sod % 60, microseconds: microseconds, fsp: fsp)
    }
}
