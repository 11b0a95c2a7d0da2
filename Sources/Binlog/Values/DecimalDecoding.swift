/// NEWDECIMAL's packed binary format (MySQL `decimal.c` `bin2decimal`), decoded to exact text.
///
/// The integer digits (precision - scale) and fraction digits (scale) are each split into groups
/// of 9 decimal digits stored as 4-byte big-endian integers; the integer part's leftover leading
/// digits and the fraction's leftover trailing digits take 1-4 bytes (`dig2bytes`). The first
/// byte has its top bit flipped; a negative number has every byte inverted.
enum PackedDecimal {
    /// Bytes needed for 0...9 leftover digits.
    private static let dig2bytes: [Int] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    private static let pow10: [UInt32] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
                                          100_000_000, 1_000_000_000]

    /// Storage size of DECIMAL(precision, scale); nil when the pair is not a legal declaration.
    static func size(precision: Int, scale: Int) -> Int? {
        guard precision >= 1, precision <= 65, scale >= 0, scale <= 30, scale <= precision else { return nil }
        let intg = precision - scale
        return (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9]
    }

    /// Reads one value and returns it as text with exactly `scale` fraction digits, e.g. "-0.50".
    static func decode(precision: Int, scale: Int, from r: inout ByteReader) throws(FieldError) -> String {
        guard let size = size(precision: precision, scale: scale) else {
            throw FieldError(.invalid, "DECIMAL(\(precision),\(scale)): not a legal precision/scale", offset: r.offset)
        }
        let start = r.offset
        try r.skip(size, "DECIMAL")
        // Bounds checked above: bytes[start ..< start + size] exist.
        let bytes = r.bytes
        let negative = bytes[start] & 0x80 == 0
        let mask: UInt8 = negative ? 0xFF : 0x00
        let intg = precision - scale

        var pos = start
        var invalid = false
        var allZero = true
        @inline(__always) func group(_ digits: Int) -> UInt32 {
            let n = digits == 9 ? 4 : dig2bytes[digits]
            var v: UInt32 = 0
            for i in 0..<n {
                var b = bytes[pos + i] ^ mask
                if pos + i == start { b ^= 0x80 }
                v = v << 8 | UInt32(b)
            }
            pos += n
            if v >= pow10[digits] { invalid = true }
            if v != 0 { allZero = false }
            return v
        }

        let text = String(unsafeUninitializedCapacity: precision + 3) { buf in
            var w = 0
            if negative { buf[w] = UInt8(ascii: "-"); w += 1 }
            let signEnd = w
            @inline(__always) func put(_ value: UInt32, width: Int, pad: Bool) {
                var v = value
                var digits = 1
                if pad { digits = width } else { var t = v; while t >= 10 { t /= 10; digits += 1 } }
                var i = w + digits - 1
                while i >= w { buf[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; i -= 1 }
                w += digits
            }
            // Integer part, leading zeros dropped.
            var wroteInt = false
            let lead = intg % 9
            if lead > 0 {
                let v = group(lead)
                if v != 0 { put(v, width: lead, pad: false); wroteInt = true }
            }
            for _ in 0..<(intg / 9) {
                let v = group(9)
                if wroteInt { put(v, width: 9, pad: true) } else if v != 0 { put(v, width: 9, pad: false); wroteInt = true }
            }
            if !wroteInt { buf[w] = UInt8(ascii: "0"); w += 1 }
            if scale > 0 {
                buf[w] = UInt8(ascii: "."); w += 1
                for _ in 0..<(scale / 9) { put(group(9), width: 9, pad: true) }
                let trail = scale % 9
                if trail > 0 { put(group(trail), width: trail, pad: true) }
            }
            // Minus zero is zero.
            if negative && allZero {
                for i in signEnd..<w { buf[i - 1] = buf[i] }
                w -= 1
            }
            return w
        }
        if invalid {
            try? r.seek(to: start)
            throw FieldError(.invalid, "DECIMAL(\(precision),\(scale)): a digit group exceeds its digit count", offset: start)
        }
        return text
    }
}
