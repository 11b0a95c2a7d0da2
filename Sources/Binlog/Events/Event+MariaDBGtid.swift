/// MariaDB GTID_EVENT (162): starts every transaction (instead of BEGIN) and every DDL.
/// sequence number (8), domain id (4), flags2 (1); FL_GROUP_COMMIT_ID: commit id (8);
/// FL_PREPARED_XA/FL_COMPLETED_XA: format id (4), gtrid length (1), bqual length (1), data; zero
/// padding up to 19 bytes; then optional flags_extra (1) with extra engines (1) and start-alter
/// sequence number (8).
package struct MariaDBGtidEvent: Sendable, Equatable {
    package static let standalone: UInt8 = 1
    package static let groupCommitID: UInt8 = 2
    package static let transactional: UInt8 = 4
    package static let allowParallel: UInt8 = 8
    package static let waited: UInt8 = 16
    package static let ddl: UInt8 = 32
    package static let preparedXA: UInt8 = 64
    package static let completedXA: UInt8 = 128

    package var gtid: MariaDBGTID
    package var flags: UInt8
    package var commitID: UInt64?
    /// The XA transaction this event prepares (XA PREPARE) or completes (XA COMMIT/ROLLBACK).
    package var xid: XID?
    package var flagsExtra: UInt8?
    package var extraEngines: UInt8?
    package var startAlterSequence: UInt64?

    /// True for a single statement outside BEGIN..COMMIT (DDL, non-transactional statement).
    package var isStandalone: Bool { flags & Self.standalone != 0 }

    static func decode(body r: inout ByteReader, serverID: UInt32) throws(FieldError) -> MariaDBGtidEvent {
        let seq = try r.readUInt64LE("gtid sequence number")
        let domain = try r.readUInt32LE("gtid domain id")
        let flags = try r.readUInt8("gtid flags2")
        var e = MariaDBGtidEvent(gtid: MariaDBGTID(domain: domain, serverID: serverID, sequence: seq), flags: flags)
        let start = r.offset - 13
        if flags & groupCommitID != 0 { e.commitID = try r.readUInt64LE("commit id") }
        if flags & (preparedXA | completedXA) != 0 {
            let format = try r.readUInt32LE("xa format id")
            let g = Int(try r.readUInt8("xa gtrid length"))
            let b = Int(try r.readUInt8("xa bqual length"))
            guard g <= 64, b <= 64 else {
                throw FieldError(.outOfRange, "XA id lengths \(g)/\(b) exceed 64", offset: r.offset - 2)
            }
            e.xid = XID(formatID: format, gtrid: try r.readBytes(g, "xa gtrid"), bqual: try r.readBytes(b, "xa bqual"))
        }
        // The fixed part is padded with zeros to 19 bytes when commit id and XA id leave it shorter.
        if r.offset - start < 19 { try r.skip(19 - (r.offset - start), "gtid padding") }
        guard !r.isAtEnd else { return e }
        let extra = try r.readUInt8("gtid flags_extra")
        e.flagsExtra = extra
        if extra & 1 != 0 { e.extraEngines = try r.readUInt8("extra engines") }
        if extra & (2 | 4) != 0 { e.startAlterSequence = try r.readUInt64LE("start alter sequence number") }
        if extra & ~UInt8(7) != 0 {
            throw FieldError(.unsupported, "GTID flags_extra 0x\(String(extra, radix: 16)) has bits this decoder does not know", offset: r.offset)
        }
        return e
    }
}

/// MariaDB GTID_LIST_EVENT (163): the binlog state at the start of a file. Count (4; top 4 bits are
/// flags), then count x (domain (4), server id (4), sequence number (8)). MariaDB 10.11 pads an
/// empty list with zero bytes (seen: 2); trailing bytes are accepted only when all zero.
package struct MariaDBGtidListEvent: Sendable, Equatable {
    package var flags: UInt8
    package var gtids: [MariaDBGTID]

    static func decode(body r: inout ByteReader) throws(FieldError) -> MariaDBGtidListEvent {
        let at = r.offset
        let raw = try r.readUInt32LE("gtid list count")
        let count = Int(raw & 0x0FFF_FFFF)
        guard count <= r.remaining / 16 else {
            throw FieldError(.outOfRange, "\(count) GTIDs cannot fit in \(r.remaining) bytes", offset: at)
        }
        var list: [MariaDBGTID] = []
        list.reserveCapacity(count)
        for _ in 0..<count {
            let d = try r.readUInt32LE("domain id")
            let s = try r.readUInt32LE("server id")
            let q = try r.readUInt64LE("sequence number")
            list.append(MariaDBGTID(domain: d, serverID: s, sequence: q))
        }
        let padAt = r.offset
        if r.readRest().contains(where: { $0 != 0 }) {
            throw FieldError(.invalid, "GTID list: non-zero bytes after \(count) entries", offset: padAt)
        }
        return MariaDBGtidListEvent(flags: UInt8(raw >> 28), gtids: list)
    }
}
