/// The change-event JSON written straight into bytes (what a Kafka message carries), with no
/// `String` in between: the same text as the `String` writers (`JSONText.swift`,
/// `ColumnValue+JSON.swift`), byte for byte. No Foundation: these run once per column value.
extension Array where Element == UInt8 {
    /// `s` as a JSON string literal, escaped as `String.appendJSONQuoted` does. Every byte that
    /// needs an escape (`"`, `\`, U+0000...U+001F) is a one-byte scalar in UTF-8, so escaping
    /// byte by byte gives the same text as escaping scalar by scalar.
    package mutating func appendJSONQuoted(_ s: String) {
        append(0x22)
        var safe = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            safe = false
            break
        }
        if safe {
            append(contentsOf: s.utf8)
        } else {
            for b in s.utf8 {
                switch b {
                case 0x22: appendASCII("\\\"")
                case 0x5C: appendASCII("\\\\")
                case 0x0A: appendASCII("\\n")
                case 0x0D: appendASCII("\\r")
                case 0x09: appendASCII("\\t")
                case 0x08: appendASCII("\\b")
                case 0x0C: appendASCII("\\f")
                case ..<0x20:
                    appendASCII("\\u00")
                    append(Self.hexDigit(b >> 4))
                    append(Self.hexDigit(b & 0xF))
                default:
                    append(b)
                }
            }
        }
        append(0x22)
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    /// A literal's bytes (`"null"`, `",\"after\":"`).
    package mutating func appendASCII(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// The decimal text of `v`, as `String(v)` writes it.
    package mutating func appendDecimal(_ v: Int64) {
        if v < 0 { append(0x2D) }
        appendDecimal(v.magnitude)
    }

    /// The decimal text of `v`, as `String(v)` writes it.
    package mutating func appendDecimal(_ v: UInt64) {
        var digits = 1
        var t = v
        while t >= 10 {
            t /= 10
            digits += 1
        }
        let start = count
        append(contentsOf: repeatElement(0x30, count: digits))
        var rest = v
        var i = start + digits - 1
        while rest > 0 {
            self[i] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
            rest /= 10
            i -= 1
        }
    }
}

extension ColumnValue {
    /// Appends this value as one JSON value, the same text as `appendJSON(into: &string)`: the
    /// common kinds (null, integers, DECIMAL, text) written directly, the others through their
    /// text.
    package func appendJSON(into out: inout [UInt8]) {
        switch self {
        case .null:
            out.appendASCII("null")
        case .int(let v):
            out.appendDecimal(v)
        case .uint(let v):
            out.appendDecimal(v)
        case .decimal(let s):
            out.append(0x22)
            out.append(contentsOf: s.utf8)
            out.append(0x22)
        case .string(let s):
            out.appendJSONQuoted(s)
        default:
            var text = ""
            appendJSON(into: &text)
            out.append(contentsOf: text.utf8)
        }
    }
}
