/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum MySQL and MariaDB append to
/// every event when `binlog_checksum=CRC32`. Slicing-by-8 over eight 256-entry tables.
package struct CRC32: Sendable {
    /// Eight lookup tables of 256 entries each, flattened (`tables[k * 256 + byte]`).
    private let tables: [UInt32]

    package init() {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
            t[i] = c
        }
        for i in 0..<256 {
            var c = t[i]
            for k in 1..<8 {
                c = t[Int(c & 0xFF)] ^ (c >> 8)
                t[k * 256 + i] = c
            }
        }
        tables = t
    }

    /// CRC-32 of `bytes[range]` (the range is clamped to the array).
    package func checksum(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> UInt32 {
        let lo = max(0, range?.lowerBound ?? 0)
        let hi = min(bytes.count, range?.upperBound ?? bytes.count)
        guard lo < hi else { return 0 }
        return bytes.withUnsafeBytes { buf in
            tables.withUnsafeBufferPointer { tb in
                // Table indices are masked below 8 * 256 = tables.count: reads through the base
                // pointer stay inside the table (an empty table cannot happen: init fills it).
                guard let t = tb.baseAddress else { return 0 }
                var crc: UInt32 = 0xFFFF_FFFF
                var i = lo
                // lo..<hi lies inside the array (clamped above): each 8-byte load is within it.
                while hi - i >= 8 {
                    let w = UInt64(littleEndian: buf.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let a = crc ^ UInt32(truncatingIfNeeded: w)
                    let b = UInt32(truncatingIfNeeded: w >> 32)
                    crc = t[7 * 256 + Int(a & 0xFF)] ^ t[6 * 256 + Int((a >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((a >> 16) & 0xFF)] ^ t[4 * 256 + Int(a >> 24)]
                        ^ t[3 * 256 + Int(b & 0xFF)] ^ t[2 * 256 + Int((b >> 8) & 0xFF)]
                        ^ t[1 * 256 + Int((b >> 16) & 0xFF)] ^ t[Int(b >> 24)]
                    i += 8
                }
                while i < hi {
                    crc = t[Int((crc ^ UInt32(buf[i])) & 0xFF)] ^ (crc >> 8)
                    i += 1
                }
                return crc ^ 0xFFFF_FFFF
            }
        }
    }
}
