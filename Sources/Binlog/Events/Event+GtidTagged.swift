/// MySQL 8.3+ GTID_TAGGED_LOG_EVENT (42): a GTID with a tag, written in the MySQL serialization
/// library's message format (libs/mysql/serialization/readme.md): a version (varlen), the message
/// size (varlen), the last non-ignorable field id (varlen), then fields as (field id varlen,
/// value). Every integer is a varlen integer (signed ones with the sign in the lowest bit); a
/// fixed-size array (the uuid) is its elements one after the other; a string is a varlen length
/// then the bytes. Fields of `Gtid_event` in id order (ids of omitted optional fields are absent):
///
/// | id | field | type |
/// |---|---|---|
/// | 0 | gtid_flags | uint8 |
/// | 1 | uuid | 16 x uint8 |
/// | 2 | gno | int64 |
/// | 3 | tag | string |
/// | 4 | last_committed | int64 |
/// | 5 | sequence_number | int64 |
/// | 6 | immediate_commit_timestamp | uint64 |
/// | 7 | original_commit_timestamp | uint64, absent when equal to 6 |
/// | 8 | transaction_length | uint64 |
/// | 9 | immediate_server_version | uint32 |
/// | 10 | original_server_version | uint32, absent when equal to 9 |
/// | 11 | commit_group_ticket | uint64, optional |
///
/// A field id outside these stops decoding with an error (its size cannot be known), and so does a
/// message without every field but the optional 7, 10 and 11.
enum GtidTaggedEvent {
    static func decode(body r: inout ByteReader) throws(FieldError) -> MySQLGtidEvent {
        _ = try r.readVarlenUInt("serialization version")
        _ = try r.readVarlenUInt("message size")
        _ = try r.readVarlenUInt("last non-ignorable field id")
        var e = MySQLGtidEvent(anonymous: false, flags: 0, uuid: ServerUUID(high: 0, low: 0), gno: 0)
        var seen = Set<UInt64>()
        var last: UInt64?
        while !r.isAtEnd {
            let at = r.offset
            let id = try r.readVarlenUInt("field id")
            guard last.map({ id > $0 }) ?? true else {
                throw FieldError(.invalid, "tagged GTID field \(id) after field \(last ?? 0)", offset: at)
            }
            last = id
            seen.insert(id)
            switch id {
            case 0: e.flags = try uint8(&r, "gtid_flags")
            case 1:
                var bytes: [UInt8] = []
                for _ in 0..<16 { bytes.append(try uint8(&r, "uuid byte")) }
                var u = ByteReader(bytes)
                e.uuid = try ServerUUID.read(from: &u)
            case 2:
                let gno = try signed(&r, "gno")
                guard gno >= 1 else { throw FieldError(.invalid, "tagged GTID gno \(gno)", offset: at) }
                e.gno = UInt64(gno)
            case 3:
                let n = try r.readVarlenUInt("tag length")
                guard n <= 32 else { throw FieldError(.invalid, "GTID tag of \(n) bytes (at most 32)", offset: at) }
                let text = try r.readUTF8(Int(n), "tag")
                guard text.isEmpty || MySQLGTIDSet.normalizedTag(text) == text else {
                    throw FieldError(.invalid, "GTID tag \"\(text)\" is not a tag", offset: at)
                }
                e.tag = text
            case 4: e.lastCommitted = UInt64(bitPattern: try signed(&r, "last_committed"))
            case 5: e.sequenceNumber = UInt64(bitPattern: try signed(&r, "sequence_number"))
            case 6: e.immediateCommitTimestamp = try r.readVarlenUInt("immediate_commit_timestamp")
            case 7: e.originalCommitTimestamp = try r.readVarlenUInt("original_commit_timestamp")
            case 8: e.transactionLength = try r.readVarlenUInt("transaction_length")
            case 9: e.immediateServerVersion = try uint32(&r, "immediate_server_version")
            case 10: e.originalServerVersion = try uint32(&r, "original_server_version")
            case 11: e.commitGroupTicket = try r.readVarlenUInt("commit_group_ticket")
            default:
                throw FieldError(
                    .unsupported, "tagged GTID field \(id) is unknown (its size cannot be known)", offset: at)
            }
        }
        // Fields 7, 10 and 11 are the optional ones; MySQL always writes the others.
        let missing = [0, 1, 2, 3, 4, 5, 6, 8, 9].filter { !seen.contains(UInt64($0)) }
        guard missing.isEmpty else {
            throw FieldError(
                .short, "tagged GTID without field(s) \(missing.map(String.init).joined(separator: ", "))",
                offset: r.offset)
        }
        if seen.contains(6), !seen.contains(7) { e.originalCommitTimestamp = e.immediateCommitTimestamp }
        if seen.contains(9), !seen.contains(10) { e.originalServerVersion = e.immediateServerVersion }
        return e
    }

    private static func uint8(_ r: inout ByteReader, _ what: StaticString) throws(FieldError) -> UInt8 {
        let at = r.offset
        let v = try r.readVarlenUInt(what)
        guard v <= 0xFF else { throw FieldError(.outOfRange, "\(what) \(v) does not fit a byte", offset: at) }
        return UInt8(v)
    }

    private static func uint32(_ r: inout ByteReader, _ what: StaticString) throws(FieldError) -> UInt32 {
        let at = r.offset
        let v = try r.readVarlenUInt(what)
        guard v <= UInt64(UInt32.max) else {
            throw FieldError(.outOfRange, "\(what) \(v) does not fit 32 bits", offset: at)
        }
        return UInt32(v)
    }

    /// Signed varlen: the lowest bit is the sign; x >= 0 is `x << 1`, x < 0 is `(-(x + 1) << 1) | 1`.
    static func signed(_ r: inout ByteReader, _ what: StaticString) throws(FieldError) -> Int64 {
        let v = try r.readVarlenUInt(what)
        let magnitude = Int64(bitPattern: v >> 1)
        return v & 1 == 0 ? magnitude : -magnitude - 1
    }
}
