/// NEWDECIMAL's packed binary format (MySQL `decimal.c` `bin2decimal`), decoded to exact text.
///
/// The integer digits (precision - scale) and fraction digits (scale) are each split into groups
/// of 9 decimal digits stored as 4-byte big-endian integers; the integer part's leftover leading
/// digits and the fraction's leftover trailing digits take 1-4 bytes (`dig2bytes`). The first
/// byte has its top bit flipped; a negative number has every byte inverted.
enum PackedDecimal {
    /// Bytes needed for 0...9 leftover digits: 0, 1, 1, 2, 2, 3, 3, 4, 4, 4.
    @inline(__always)
    private static func dig2bytes(_ digits: Int) -> Int { min(4, (digits + 1) / 2) }

    @inline(__always)
    private static func pow10(_ digits: Int) -> UInt32 {
        switch digits {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        default: return 1_000_000_000
        }
    }

    /// Storage size of DECIMAL(precision, scale); nil when the pair is not a legal declaration.
    static func size(precision: Int, scale: Int) -> Int? {
        guard precision >= 1, precision <= 65, scale >= 0, scale <= 30, scale <= precision else { return nil }
        let intg = precision - scale
        return (intg / 9) * 4 + dig2bytes(intg % 9) + (scale / 9) * 4 + dig2bytes(scale % 9)
    }

    /// Reads one value and returns it as text with exactly `scale` fraction digits, e.g. "-0.50".
    static func decode(precision: Int, scale: Int, from r: inout ByteReader) throws(FieldError) -> String {
        guard let size = size(precision: precision, scale: scale) else {
            throw FieldError(.invalid, "DECIMAL(\(precision),\(scale)): not a legal precision/scale", offset: r.offset)
        }
        return try decode(precision: precision, scale: scale, size: size, from: &r)
    }

    /// As above for a legal precision and scale whose storage `size` the caller has computed.
    @inline(__always)
    static func decode(precision: Int, scale: Int, size: Int, from r: inout ByteReader) throws(FieldError) -> String {
        let start = r.offset
        try r.skip(size, "DECIMAL")
        // Bounds checked above: bytes[start ..< start + size] exist.
        let text: String? = r.bytes.withUnsafeBufferPointer { all in
            format(UnsafeBufferPointer(rebasing: all[start..<(start + size)]), intg: precision - scale, scale: scale)
        }
        guard let text else {
            try? r.seek(to: start)
            throw FieldError(
                .invalid, "DECIMAL(\(precision),\(scale)): a digit group exceeds its digit count", offset: start)
        }
        return text
    }

    /// The text of one packed value of exactly the right size; nil when a group is out of range.
    private static func format(_ p: UnsafeBufferPointer<UInt8>, intg: Int, scale: Int) -> String? {
        if intg <= 18 && scale <= 9 { return formatSmall(p, intg: intg, scale: scale) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buf -> String? in
            let negative = p[0] & 0x80 == 0
            let mask: UInt8 = negative ? 0xFF : 0x00
            var pos = 0
            var w = 0
            var allZero = true
            if negative {
                buf[0] = UInt8(ascii: "-")
                w = 1
            }
            // Integer part: leftover leading digits, then 9-digit groups; leading zeros dropped.
            var wroteInt = false
            var digits = intg % 9 == 0 ? 9 : intg % 9
            var groups = intg / 9 + (intg % 9 == 0 ? 0 : 1)
            while groups > 0 {
                guard let v = group(p, &pos, digits: digits, mask: mask) else { return nil }
                if v != 0 { allZero = false }
                if wroteInt {
                    w = put(v, width: digits, into: buf, at: w)
                } else if v != 0 {
                    w = put(v, width: 0, into: buf, at: w)
                    wroteInt = true
                }
                digits = 9
                groups -= 1
            }
            if !wroteInt {
                buf[w] = UInt8(ascii: "0")
                w += 1
            }
            // Fraction: 9-digit groups, then leftover trailing digits, all zero-padded.
            if scale > 0 {
                buf[w] = UInt8(ascii: ".")
                w += 1
                var left = scale
                while left > 0 {
                    let d = min(9, left)
                    guard let v = group(p, &pos, digits: d, mask: mask) else { return nil }
                    if v != 0 { allZero = false }
                    w = put(v, width: d, into: buf, at: w)
                    left -= d
                }
            }
            // Minus zero is zero.
            let from = negative && allZero ? 1 : 0
            return String(decoding: UnsafeBufferPointer(rebasing: buf[from..<w]), as: UTF8.self)
        }
    }

    /// `format` for at most 18 integer digits (at most two groups, so the integer part fits in a
    /// UInt64) and at most 9 fraction digits (one group): the digits are written right to left,
    /// so no digit count is needed. Same text and same checks as the general path.
    @inline(__always)
    private static func formatSmall(_ p: UnsafeBufferPointer<UInt8>, intg: Int, scale: Int) -> String? {
        let negative = p[0] & 0x80 == 0
        let mask: UInt8 = negative ? 0xFF : 0x00
        var pos = 0
        var whole: UInt64 = 0
        if intg % 9 > 0 {
            guard let v = group(p, &pos, digits: intg % 9, mask: mask) else { return nil }
            whole = UInt64(v)
        }
        var full = intg / 9
        while full > 0 {
            guard let v = group(p, &pos, digits: 9, mask: mask) else { return nil }
            whole = whole &* 1_000_000_000 &+ UInt64(v)
            full -= 1
        }
        var fraction: UInt32 = 0
        if scale > 0 {
            guard let v = group(p, &pos, digits: scale, mask: mask) else { return nil }
            fraction = v
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buf -> String in
            var i = 32
            if scale > 0 {
                var f = fraction
                for _ in 0..<scale {
                    i -= 1
                    buf[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: f % 10)
                    f /= 10
                }
                i -= 1
                buf[i] = UInt8(ascii: ".")
            }
            var v = whole
            repeat {
                i -= 1
                buf[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v != 0
            // Minus zero is zero.
            if negative && (whole != 0 || fraction != 0) {
                i -= 1
                buf[i] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[i..<32]), as: UTF8.self)
        }
    }

    /// One big-endian group of `digits` digits at `pos` (sign mask applied, the first byte's top bit
    /// flipped); nil when it holds more than `digits` digits.
    @inline(__always)
    private static func group(_ p: UnsafeBufferPointer<UInt8>, _ pos: inout Int, digits: Int, mask: UInt8) -> UInt32? {
        let n = dig2bytes(digits)
        var v: UInt32 = 0
        for i in pos..<(pos + n) { v = v << 8 | UInt32(p[i] ^ mask ^ (i == 0 ? 0x80 : 0)) }
        pos += n
        return v < pow10(digits) ? v : nil
    }

    /// Writes `value` in decimal, zero-padded to `width` digits (`width` 0: no padding); returns the
    /// new end. Two digits per division by 100, so the dependency chain is half as long.
    @inline(__always)
    private static func put(_ value: UInt32, width: Int, into buf: UnsafeMutableBufferPointer<UInt8>, at w: Int) -> Int
    {
        // `group` guarantees value < 10^width, so a padded group needs no digit count.
        let digits = width == 0 ? digitCount(value) : width
        var v = value
        var i = w + digits
        while i - w >= 2 {
            let q = v / 100
            let pair = v &- q &* 100
            buf[i - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: pair % 10)
            buf[i - 2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: pair / 10)
            v = q
            i -= 2
        }
        if i > w { buf[w] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v) }
        return w + digits
    }

    /// Decimal digits of `v` (at least 1).
    @inline(__always)
    private static func digitCount(_ v: UInt32) -> Int {
        if v < 10_000 { return v < 100 ? (v < 10 ? 1 : 2) : (v < 1_000 ? 3 : 4) }
        if v < 100_000_000 {
            return v < 1_000_000 ? (v < 100_000 ? 5 : 6) : (v < 10_000_000 ? 7 : 8)
        }
        return v < 1_000_000_000 ? 9 : 10
    }
}
