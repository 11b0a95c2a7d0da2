/// The one bounds-checked cursor every byte from the wire or a file goes through.
///
/// Contract (as in swift-nio's ByteBuffer): a read that lacks bytes throws `FieldError.short`
/// and leaves `offset` where it was. Nothing here traps on wire data.
package struct ByteReader: Sendable {
    /// The whole buffer; `offset` and `end` index into it.
    package let bytes: [UInt8]
    /// Next byte to read.
    package private(set) var offset: Int
    /// One past the last readable byte (may be less than `bytes.count`, e.g. to exclude a checksum).
    package let end: Int

    package init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        let e = min(max(end ?? bytes.count, 0), bytes.count)
        self.end = e
        self.offset = min(max(offset, 0), e)
    }

    package var remaining: Int { end - offset }
    package var isAtEnd: Bool { offset >= end }

    @inline(__always)
    private func need(_ n: Int, _ what: StaticString) throws(FieldError) {
        guard n >= 0, n <= end - offset else {
            throw FieldError(.short, "\(what): expected \(n) bytes, had \(end - offset)", offset: offset)
        }
    }

    package mutating func skip(_ n: Int, _ what: StaticString = "skip") throws(FieldError) {
        try need(n, what)
        offset += n
    }

    /// Moves the cursor to an absolute offset inside `0...end`.
    package mutating func seek(to absolute: Int) throws(FieldError) {
        guard absolute >= 0, absolute <= end else {
            throw FieldError(.outOfRange, "seek to \(absolute) outside 0...\(end)", offset: offset)
        }
        offset = absolute
    }

    @inline(__always)
    package mutating func readUInt8(_ what: StaticString = "uint8") throws(FieldError) -> UInt8 {
        try need(1, what)
        let v = bytes[offset]
        offset += 1
        return v
    }

    /// Little-endian unsigned integer of `n` bytes (0...8).
    @inline(__always)
    package mutating func readUIntLE(_ n: Int, _ what: StaticString = "uint") throws(FieldError) -> UInt64 {
        guard n <= 8 else { throw FieldError(.outOfRange, "\(what): \(n)-byte integer", offset: offset) }
        try need(n, what)
        // `need` checked offset + n <= end <= bytes.count: the loads below stay inside the array.
        let at = offset
        let v = bytes.withUnsafeBytes { raw -> UInt64 in
            if n == 8 { return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
            var v: UInt64 = 0
            var i = n - 1
            while i >= 0 {
                v = (v << 8) | UInt64(raw[at + i])
                i -= 1
            }
            return v
        }
        offset += n
        return v
    }

    /// Big-endian unsigned integer of `n` bytes (0...8).
    @inline(__always)
    package mutating func readUIntBE(_ n: Int, _ what: StaticString = "uint-be") throws(FieldError) -> UInt64 {
        guard n <= 8 else { throw FieldError(.outOfRange, "\(what): \(n)-byte integer", offset: offset) }
        try need(n, what)
        // `need` checked offset + n <= end <= bytes.count: the loads below stay inside the array.
        let at = offset
        let v = bytes.withUnsafeBytes { raw -> UInt64 in
            var v: UInt64 = 0
            for i in 0..<n { v = (v << 8) | UInt64(raw[at + i]) }
            return v
        }
        offset += n
        return v
    }

    package mutating func readUInt16LE(_ what: StaticString = "uint16") throws(FieldError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readUIntLE(2, what))
    }
    package mutating func readUInt24LE(_ what: StaticString = "uint24") throws(FieldError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readUIntLE(3, what))
    }
    package mutating func readUInt32LE(_ what: StaticString = "uint32") throws(FieldError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readUIntLE(4, what))
    }
    package mutating func readUInt48LE(_ what: StaticString = "uint48") throws(FieldError) -> UInt64 {
        try readUIntLE(6, what)
    }
    package mutating func readUInt64LE(_ what: StaticString = "uint64") throws(FieldError) -> UInt64 {
        try readUIntLE(8, what)
    }

    /// MySQL serialization-library variable-length unsigned integer (MySQL 8.3+: tagged GTIDs):
    /// the trailing one bits of the first byte count the bytes that follow; for 1...8 bytes the
    /// little-endian value shifted right by the byte count, for 0xFF the 8 bytes that follow.
    package mutating func readVarlenUInt(_ what: StaticString = "varlen integer") throws(FieldError) -> UInt64 {
        let start = offset
        let first = try readUInt8(what)
        let ones = (~first).trailingZeroBitCount
        do throws(FieldError) {
            if ones == 8 { return try readUIntLE(8, what) }
            try seek(to: start)
            let n = ones + 1
            return try readUIntLE(n, what) >> UInt64(n)
        } catch {
            try? seek(to: start)
            throw error
        }
    }

    /// MySQL length-encoded integer (packed integer): 1, 3, 4 or 9 bytes.
    package mutating func readLengthEncodedInt(_ what: StaticString = "packed integer") throws(FieldError) -> UInt64 {
        let start = offset
        let first = try readUInt8(what)
        do throws(FieldError) {
            switch first {
            case 0..<0xFB: return UInt64(first)
            case 0xFC: return try readUIntLE(2, what)
            case 0xFD: return try readUIntLE(3, what)
            case 0xFE: return try readUIntLE(8, what)
            default:
                offset = start
                throw FieldError(.invalid, "\(what): invalid first byte 0x\(String(first, radix: 16))", offset: start)
            }
        } catch {
            offset = start
            throw error
        }
    }

    /// `n` bytes as a new array.
    package mutating func readBytes(_ n: Int, _ what: StaticString = "bytes") throws(FieldError) -> [UInt8] {
        try need(n, what)
        let out = Array(bytes[offset..<(offset + n)])
        offset += n
        return out
    }

    /// `n` bytes as a slice of the underlying buffer (no copy).
    package mutating func readSlice(_ n: Int, _ what: StaticString = "bytes") throws(FieldError) -> ArraySlice<UInt8> {
        try need(n, what)
        let out = bytes[offset..<(offset + n)]
        offset += n
        return out
    }

    /// Everything up to `end`.
    package mutating func readRest() -> [UInt8] {
        let out = Array(bytes[offset..<end])
        offset = end
        return out
    }

    /// Bytes up to a NUL, which is consumed and not returned.
    package mutating func readNullTerminated(_ what: StaticString = "string") throws(FieldError) -> [UInt8] {
        var i = offset
        while i < end {
            if bytes[i] == 0 {
                let out = Array(bytes[offset..<i])
                offset = i + 1
                return out
            }
            i += 1
        }
        throw FieldError(.short, "\(what): no NUL terminator in \(end - offset) bytes", offset: offset)
    }

    /// A string of `n` bytes decoded as UTF-8; invalid UTF-8 is an error (never replaced silently).
    package mutating func readUTF8(_ n: Int, _ what: StaticString = "string") throws(FieldError) -> String {
        let start = offset
        let raw = try readSlice(n, what)
        guard let s = String(validating: raw, as: UTF8.self) else {
            offset = start
            throw FieldError(.invalid, "\(what): \(n) bytes are not valid UTF-8", offset: start)
        }
        return s
    }
}
