/// MySQL GTID_LOG_EVENT (33) and ANONYMOUS_GTID_LOG_EVENT (34): starts a transaction.
/// flags (1), source uuid (16), gno (8); 5.7.6+: logical clock type (1, = 2), last_committed (8),
/// sequence_number (8); 8.0.1+: immediate commit timestamp (7; top bit: original commit timestamp
/// (7) follows); 8.0.2+: transaction length (packed); 8.0.14+: immediate server version (4; top
/// bit: original server version (4) follows); 8.0.30+: commit group ticket (8).
package struct MySQLGtidEvent: Sendable, Equatable {
    package var anonymous: Bool
    package var flags: UInt8
    package var uuid: ServerUUID
    package var gno: UInt64
    package var lastCommitted: UInt64?
    package var sequenceNumber: UInt64?
    /// Microseconds since the epoch.
    package var immediateCommitTimestamp: UInt64?
    package var originalCommitTimestamp: UInt64?
    package var transactionLength: UInt64?
    package var immediateServerVersion: UInt32?
    package var originalServerVersion: UInt32?
    package var commitGroupTicket: UInt64?
    /// MySQL 8.3+ GTID tag (GTID_TAGGED_LOG_EVENT); "" when untagged.
    package var tag: String = ""

    /// `uuid:gno`, or `uuid:tag:gno` for a tagged GTID (nil for anonymous transactions).
    package var gtidText: String? { anonymous ? nil : tag.isEmpty ? "\(uuid):\(gno)" : "\(uuid):\(tag):\(gno)" }

    static func decode(body r: inout ByteReader, anonymous: Bool) throws(FieldError) -> MySQLGtidEvent {
        var e = MySQLGtidEvent(anonymous: anonymous, flags: try r.readUInt8("gtid flags"),
                               uuid: try ServerUUID.read(from: &r), gno: try r.readUInt64LE("gno"))
        guard !r.isAtEnd else { return e }
        let clock = try r.readUInt8("logical clock type")
        guard clock == 2 else {
            throw FieldError(.invalid, "logical clock type \(clock), expected 2", offset: r.offset - 1)
        }
        e.lastCommitted = try r.readUInt64LE("last_committed")
        e.sequenceNumber = try r.readUInt64LE("sequence_number")
        guard !r.isAtEnd else { return e }
        let imm = try r.readUIntLE(7, "immediate commit timestamp")
        e.immediateCommitTimestamp = imm & ~(UInt64(1) << 55)
        e.originalCommitTimestamp = imm & (UInt64(1) << 55) != 0
            ? try r.readUIntLE(7, "original commit timestamp") : e.immediateCommitTimestamp
        guard !r.isAtEnd else { return e }
        e.transactionLength = try r.readLengthEncodedInt("transaction length")
        guard !r.isAtEnd else { return e }
        let isv = try r.readUInt32LE("immediate server version")
        e.immediateServerVersion = isv & 0x7FFF_FFFF
        e.originalServerVersion = isv & 0x8000_0000 != 0
            ? try r.readUInt32LE("original server version") : e.immediateServerVersion
        guard !r.isAtEnd else { return e }
        e.commitGroupTicket = try r.readUInt64LE("commit group ticket")
        return e
    }
}
