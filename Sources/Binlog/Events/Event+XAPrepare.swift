/// XA_PREPARE_LOG_EVENT (38), MySQL 5.7+ and MariaDB 10.5+: one-phase flag (1), format id (4),
/// gtrid length (4), bqual length (4), then gtrid and bqual bytes.
package struct XAPrepareEvent: Sendable, Equatable {
    package var onePhase: Bool
    package var xid: XID

    static func decode(body r: inout ByteReader) throws(FieldError) -> XAPrepareEvent {
        let onePhase = try r.readUInt8("one phase") != 0
        let format = try r.readUInt32LE("format id")
        let g = Int(try r.readUInt32LE("gtrid length"))
        let b = Int(try r.readUInt32LE("bqual length"))
        guard g <= 64, b <= 64 else {
            throw FieldError(.outOfRange, "XA id lengths \(g)/\(b) exceed 64", offset: r.offset)
        }
        let gtrid = try r.readBytes(g, "gtrid")
        let bqual = try r.readBytes(b, "bqual")
        return XAPrepareEvent(onePhase: onePhase, xid: XID(formatID: format, gtrid: gtrid, bqual: bqual))
    }
}

/// An XA transaction id (formatID, gtrid, bqual).
package struct XID: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var formatID: UInt32
    package var gtrid: [UInt8]
    package var bqual: [UInt8]

    package init(formatID: UInt32, gtrid: [UInt8], bqual: [UInt8]) {
        self.formatID = formatID
        self.gtrid = gtrid
        self.bqual = bqual
    }

    /// As MySQL prints it: X'hex',X'hex',formatID.
    package var description: String {
        "X'\(Hex.string(gtrid))',X'\(Hex.string(bqual))',\(formatID)"
    }
}
