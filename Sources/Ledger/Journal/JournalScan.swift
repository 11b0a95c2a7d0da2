/// Reads framed records out of the journal's segments, pure (bytes in, records out).
///
/// Rules:
/// - Records are read in segment order; sequence numbers must continue without a gap.
/// - The **torn tail**: in the last segment only, a final frame that is incomplete (fewer than 8
///   header bytes, or a length reaching past the end of the file) or whose checksum fails while it
///   ends exactly at the end of the file, is what a crash during `write` leaves. It was never
///   fsync'd, so never acknowledged: it is reported in `tornTail` for the writer to truncate.
/// - Anything else is **corruption** and throws: a bad frame with bytes after it, a bad frame in
///   a sealed (not last) segment, an oversized length inside the file, a payload that does not
///   decode, a sequence gap. Nothing after damage in the middle is ever silently accepted.
package enum JournalScan {
    package struct Segment: Sendable, Equatable {
        package let name: String
        package let bytes: [UInt8]
        package init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    package struct TornTail: Sendable, Equatable {
        package let segment: String
        /// Where the valid part ends (truncate the file here).
        package let offset: Int
        /// Bytes after it.
        package let discarded: Int
    }

    package struct Result: Sendable, Equatable {
        package var records: [JournalRecord] = []
        package var tornTail: TornTail?
        /// Valid bytes of the last segment (where appending continues).
        package var lastSegmentEnd: Int = 0
        /// SHA-256 of the last record's payload (the next record's chain); genesis when empty.
        package var lastHash: [UInt8] = JournalHash.genesis
        /// With `details`: per record, its payload hash and where it starts.
        package var hashes: [[UInt8]] = []
        package var locations: [Location] = []
    }

    package struct Location: Sendable, Equatable, CustomStringConvertible {
        package let segment: String
        package let offset: Int
        package var description: String { "\(segment) at byte \(offset)" }
    }

    package static func scan(_ segments: [Segment], details: Bool = false) throws(JournalError) -> Result {
        var result = Result()
        var expected: UInt64? = nil
        var lastPayload: ArraySlice<UInt8>? = nil
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            let bytes = segment.bytes
            var offset = 0
            while offset < bytes.count {
                let left = bytes.count - offset
                func torn(_ why: String) throws(JournalError) {
                    guard isLast else {
                        throw JournalError(.corrupt, file: segment.name, offset: offset, why + " in a sealed segment")
                    }
                    result.tornTail = TornTail(segment: segment.name, offset: offset, discarded: left)
                }
                guard left >= JournalFrame.headerBytes else {
                    try torn("a frame header cut short (\(left) of 8 bytes)")
                    break
                }
                var header = ByteCursor(bytes[offset..<offset + JournalFrame.headerBytes])
                let length = Int((try? header.u32("length")) ?? 0)
                let checksum = (try? header.u32("checksum")) ?? 0
                let end = offset + JournalFrame.headerBytes + length
                if end > bytes.count {
                    try torn("a frame of \(length) bytes cut short (\(left - JournalFrame.headerBytes) present)")
                    break
                }
                guard length <= JournalFrame.maxPayloadBytes, length > 0 else {
                    throw JournalError(
                        .corrupt, file: segment.name, offset: offset, "frame length \(length) is impossible")
                }
                let payload = bytes[(offset + JournalFrame.headerBytes)..<end]
                if CRC32C.checksum(payload) != checksum {
                    if end == bytes.count {
                        try torn("the last frame's checksum does not match")
                        break
                    }
                    throw JournalError(
                        .corrupt, file: segment.name, offset: offset,
                        "checksum mismatch with \(bytes.count - end) byte(s) of records after it")
                }
                let record: JournalRecord
                do {
                    record = try JournalFrame.decodePayload(payload)
                } catch {
                    throw JournalError(
                        .corrupt, file: segment.name, offset: offset, "field \(error.field): \(error.message)")
                }
                if let expected, record.sequence != expected {
                    throw JournalError(
                        .corrupt, file: segment.name, offset: offset,
                        "sequence \(record.sequence) where \(expected) was expected")
                }
                expected = record.sequence + 1
                result.records.append(record)
                if details {
                    result.hashes.append(JournalHash.sha256(payload))
                    result.locations.append(Location(segment: segment.name, offset: offset))
                } else {
                    lastPayload = payload
                }
                offset = end
            }
            if isLast { result.lastSegmentEnd = result.tornTail?.offset ?? bytes.count }
        }
        if let last = result.hashes.last {
            result.lastHash = last
        } else if let lastPayload {
            result.lastHash = JournalHash.sha256(lastPayload)
        }
        return result
    }
}
