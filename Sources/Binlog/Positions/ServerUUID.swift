/// A MySQL server UUID (the source id of a MySQL GTID), 16 bytes.
package struct ServerUUID: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    package var high: UInt64
    package var low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    static func read(from r: inout ByteReader) throws(FieldError) -> ServerUUID {
        let hi = try r.readUIntBE(8, "uuid")
        let lo = try r.readUIntBE(8, "uuid")
        return ServerUUID(high: hi, low: lo)
    }

    /// Parses `3e11fa47-71ca-11e1-9e33-c80aa9429562` (dashes optional, any case).
    package init?(parsing s: Substring) {
        var hi: UInt64 = 0, lo: UInt64 = 0, n = 0
        for ch in s.utf8 {
            if ch == 0x2D { continue }
            let v: UInt8
            switch ch {
            case 0x30...0x39: v = ch - 0x30
            case 0x61...0x66: v = ch - 0x61 + 10
            case 0x41...0x46: v = ch - 0x41 + 10
            default: return nil
            }
            if n < 16 { hi = hi << 4 | UInt64(v) } else if n < 32 { lo = lo << 4 | UInt64(v) } else { return nil }
            n += 1
        }
        guard n == 32 else { return nil }
        self.init(high: hi, low: lo)
    }

    package var description: String {
        let h = Hex.string(withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) })
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-"
            + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    package static func < (a: ServerUUID, b: ServerUUID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
