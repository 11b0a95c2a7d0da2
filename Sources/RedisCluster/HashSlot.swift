/// Redis Cluster key hashing: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no reflection)
/// of the key, or of its hash tag, modulo 16384. See the Redis Cluster specification, "Keys
/// distribution model" and "Hash tags".
package enum HashSlot {
    package static let count = 16384

    /// Immutable lookup table for CRC16/XMODEM, one entry per byte value.
    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 {
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    package static func crc16<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
        var crc: UInt16 = 0
        for b in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ b)]
        }
        return crc
    }

    /// The bytes that are hashed: the content between the first `{` and the first `}` after it,
    /// when that content is non-empty; otherwise the whole key.
    package static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
            close > open + 1
        {
            return key[(open + 1)..<close]
        }
        return key[...]
    }

    /// True when the key has a non-empty hash tag (so only the tag decides its slot).
    package static func hasHashTag(_ key: [UInt8]) -> Bool {
        hashedPart(of: key).count != key.count
    }

    package static func slot(of key: [UInt8]) -> Int {
        Int(crc16(hashedPart(of: key)) & 0x3FFF)
    }

    package static func slot(of key: String) -> Int { slot(of: Array(key.utf8)) }
}
