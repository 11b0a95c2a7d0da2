/// One row change as the version-checked apply sees it: a key, the row's version, and what to
/// store. Produced by the Replication mapping; knows nothing of tables or binlogs.
package struct VersionedWrite: Sendable, Equatable {
    package struct Field: Sendable, Equatable {
        package var name: [UInt8]
        package var value: [UInt8]
        package init(_ name: [UInt8], _ value: [UInt8]) {
            self.name = name
            self.value = value
        }
        package init(_ name: String, _ value: String) { self.init(Array(name.utf8), Array(value.utf8)) }
    }

    package enum Value: Sendable, Equatable {
        /// The key's hash gets these fields, and loses the `removing` ones (mapped columns that
        /// are NULL now). No fields at all leaves no key (every mapped column NULL); the version
        /// still advances.
        case hash([Field], removing: [[UInt8]] = [])
        /// The key becomes a plain string (JSON or one column's text); nil leaves no key (NULL).
        case string([UInt8]?)
        /// The key is removed and a tombstone version is kept for `tombstoneTTL`.
        case delete
    }

    package var key: [UInt8]
    /// Decimal digits of a non-negative integer of any length (compared numerically by the
    /// function: longer is greater, then byte order), so 64-bit and composite versions are exact.
    package var version: String
    package var value: Value
    /// Milliseconds the key lives; 0 = no expiry.
    package var ttlMilliseconds: Int64

    package init(key: [UInt8], version: String, value: Value, ttlMilliseconds: Int64 = 0) {
        self.key = key
        self.version = version
        self.value = value
        self.ttlMilliseconds = ttlMilliseconds
    }

    package init(key: String, version: String, value: Value, ttlMilliseconds: Int64 = 0) {
        self.init(key: Array(key.utf8), version: version, value: value, ttlMilliseconds: ttlMilliseconds)
    }

    /// The key holding this row's version (and tombstone), always in the same slot as `key`.
    package var versionKey: [UInt8] { VersionKey.of(key) }
}

/// What happened to one write.
package enum WriteOutcome: Sendable, Equatable {
    /// The stored version was older (or absent): the value and version were written.
    case applied
    /// The stored version was the same or newer: nothing was written.
    case staleRefused
}

/// Names the companion key that stores a row's version: `sluice:v:` + the key when the key has a
/// hash tag (the prefix holds no braces, so the tag and thus the slot stay the same); otherwise
/// `sluice:v:{` + key + `}` when the key is non-empty and holds no `}` (the tag is then the whole
/// key); otherwise (empty, or a stray `}` and no valid tag) `sluice:v:{<tag of the same slot>}:` + key, where the
/// tag is the first short string found that hashes to the key's slot.
///
/// A hash row keeps its version in its own field `hashFieldName` instead; the version key then
/// exists only while there is no such field (tombstone, string row, all-NULL row) or beside it
/// for a row with a TTL. `StoredVersion` reads either.
package enum VersionKey {
    package static let prefix: [UInt8] = Array("sluice:v:".utf8)
    /// The hash field holding a hash row's version (a mapped column may not have this name).
    package static let hashFieldName = "sluice:v"

    package static func of(_ key: [UInt8]) -> [UInt8] {
        if HashSlot.hasHashTag(key) { return prefix + key }
        if !key.isEmpty, !key.contains(UInt8(ascii: "}")) {
            return prefix + [UInt8(ascii: "{")] + key + [UInt8(ascii: "}")]
        }
        return prefix + [UInt8(ascii: "{")] + tag(forSlot: HashSlot.slot(of: key)) + Array("}:".utf8) + key
    }

    /// The first string in the sequence 0, 1, ..., 9, a, ..., z, 00, ... (base 36) whose CRC16 is
    /// the slot. Every slot is reached within four characters.
    static func tag(forSlot slot: Int) -> [UInt8] {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        for length in 1...4 {
            var digits = [Int](repeating: 0, count: length)
            while true {
                let candidate = digits.map { alphabet[$0] }
                if Int(HashSlot.crc16(candidate) & 0x3FFF) == slot { return candidate }
                var i = length - 1
                while i >= 0 {
                    digits[i] += 1
                    if digits[i] < alphabet.count { break }
                    digits[i] = 0
                    i -= 1
                }
                if i < 0 { break }
            }
        }
        // Not reached for 0..<16384: all 1.68M four-character candidates cover every slot.
        return Array(String(slot).utf8)
    }
}
