/// Small JSON text writers shared by the change-event encoding and the binary JSON renderer.
/// No Foundation: these run once per column value.
extension String {
    /// `s` as a JSON string literal: quotes, backslash and U+0000...U+001F escaped, everything
    /// else (valid Unicode by construction of `String`) passed through.
    mutating func appendJSONQuoted(_ s: String) {
        unicodeScalars.append("\"")
        var safe = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            safe = false
            break
        }
        if safe {
            append(s)
        } else {
            for u in s.unicodeScalars {
                switch u {
                case "\"": append("\\\"")
                case "\\": append("\\\\")
                case "\n": append("\\n")
                case "\r": append("\\r")
                case "\t": append("\\t")
                case "\u{08}": append("\\b")
                case "\u{0C}": append("\\f")
                default:
                    if u.value < 0x20 {
                        append("\\u00")
                        appendHexDigit(UInt8(u.value >> 4))
                        appendHexDigit(UInt8(u.value & 0xF))
                    } else {
                        unicodeScalars.append(u)
                    }
                }
            }
        }
        unicodeScalars.append("\"")
    }

    private mutating func appendHexDigit(_ v: UInt8) {
        unicodeScalars.append(Unicode.Scalar(v < 10 ? 0x30 + v : 0x61 + v - 10))
    }

    /// A non-negative integer left-padded with zeros to `width` digits (more digits if needed).
    mutating func appendPadded(_ value: Int, width: Int) {
        var v = value.magnitude
        var digits = 1
        var t = v
        while t >= 10 {
            t /= 10
            digits += 1
        }
        var pad = width - digits
        while pad > 0 {
            unicodeScalars.append("0")
            pad -= 1
        }
        // Up to 20 digits: write most significant first.
        var div: UInt = 1
        for _ in 1..<digits { div *= 10 }
        while div > 0 {
            unicodeScalars.append(Unicode.Scalar(UInt8(48 + v / div)))
            v %= div
            div /= 10
        }
    }

    /// `HH:MM:SS[.f]` (hours may have more digits).
    mutating func appendClock(_ h: Int, _ m: Int, _ sec: Int, microseconds: Int, fsp: Int) {
        appendPadded(h, width: 2)
        unicodeScalars.append(":")
        appendPadded(m, width: 2)
        unicodeScalars.append(":")
        appendPadded(sec, width: 2)
        appendFraction(microseconds, fsp: fsp)
    }

    /// `YYYY-MM-DD`.
    mutating func appendDate(_ y: Int, _ m: Int, _ d: Int) {
        appendPadded(y, width: 4)
        unicodeScalars.append("-")
        appendPadded(m, width: 2)
        unicodeScalars.append("-")
        appendPadded(d, width: 2)
    }

    /// `.ffffff` truncated to `fsp` digits (nothing when fsp is 0).
    mutating func appendFraction(_ microseconds: Int, fsp: Int) {
        guard fsp > 0 else { return }
        var v = microseconds
        for _ in fsp..<6 { v /= 10 }
        unicodeScalars.append(".")
        appendPadded(v, width: fsp)
    }

    /// Standard base64 (RFC 4648, with padding), without quotes.
    mutating func appendBase64<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let count = (bytes.count + 2) / 3 * 4
        guard count > 0 else { return }
        let encoded = String(unsafeUninitializedCapacity: count) { out in
            let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            return alphabet.withUTF8Buffer { a in
                var w = 0
                var it = bytes.makeIterator()
                while let b0 = it.next() {
                    let b1 = it.next()
                    let b2 = b1 == nil ? nil : it.next()
                    let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
                    out[w] = a[Int(n >> 18 & 63)]
                    out[w + 1] = a[Int(n >> 12 & 63)]
                    out[w + 2] = b1 == nil ? UInt8(ascii: "=") : a[Int(n >> 6 & 63)]
                    out[w + 3] = b2 == nil ? UInt8(ascii: "=") : a[Int(n & 63)]
                    w += 4
                }
                return w
            }
        }
        append(encoded)
    }
}
