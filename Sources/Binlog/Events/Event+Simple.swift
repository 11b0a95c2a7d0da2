/// INTVAR_EVENT (5): the value of LAST_INSERT_ID (type 1) or INSERT_ID (type 2) for the next statement.
public struct IntvarEvent: Sendable, Equatable {
    public var kind: UInt8
    public var value: UInt64

    static func decode(body r: inout ByteReader) throws(FieldError) -> IntvarEvent {
        IntvarEvent(kind: try r.readUInt8("intvar type"), value: try r.readUInt64LE("intvar value"))
    }
}

/// RAND_EVENT (13): the two RAND() seeds of the next statement.
public struct RandEvent: Sendable, Equatable {
    public var seed1: UInt64
    public var seed2: UInt64

    static func decode(body r: inout ByteReader) throws(FieldError) -> RandEvent {
        RandEvent(seed1: try r.readUInt64LE("seed1"), seed2: try r.readUInt64LE("seed2"))
    }
}

/// INCIDENT_EVENT (26): the server lost events (e.g. LOST_EVENTS = 1); replication must stop.
public struct IncidentEvent: Sendable, Equatable {
    public var incident: UInt16
    public var message: String

    static func decode(body r: inout ByteReader) throws(FieldError) -> IncidentEvent {
        let code = try r.readUInt16LE("incident type")
        let len = Int(try r.readUInt8("incident message length"))
        let msg = try r.readBytes(len, "incident message")
        return IncidentEvent(incident: code, message: Event.displayText(msg))
    }
}

/// USER_VAR_EVENT (14): a user variable used by the next statement.
/// name length (4), name, is-null (1); when not null: value type (1), charset (4), value length (4),
/// value, and (MySQL 5.6+/MariaDB 10.x) an optional flags byte (1 = unsigned).
public struct UserVarEvent: Sendable, Equatable {
    public var name: String
    /// nil when the variable is NULL.
    public var valueType: UInt8?
    public var charset: UInt32?
    public var value: [UInt8]?
    public var flags: UInt8?

    static func decode(body r: inout ByteReader) throws(FieldError) -> UserVarEvent {
        let nameLen = Int(try r.readUInt32LE("variable name length"))
        let name = Event.displayText(try r.readBytes(nameLen, "variable name"))
        let isNull = try r.readUInt8("is-null flag")
        if isNull != 0 {
            return UserVarEvent(name: name, valueType: nil, charset: nil, value: nil, flags: nil)
        }
        let type = try r.readUInt8("value type")
        let charset = try r.readUInt32LE("value charset")
        let len = Int(try r.readUInt32LE("value length"))
        let value = try r.readBytes(len, "value")
        let flags: UInt8? = r.isAtEnd ? nil : try r.readUInt8("user variable flags")
        return UserVarEvent(name: name, valueType: type, charset: charset, value: value, flags: flags)
    }
}

/// XA_PREPARE_LOG_EVENT (38), MySQL 5.7+ and MariaDB 10.5+: one-phase flag (1), format id (4),
/// gtrid length (4), bqual length (4), then gtrid and bqual bytes.
public struct XAPrepareEvent: Sendable, Equatable {
    public var onePhase: Bool
    public var xid: XID

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
public struct XID: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var formatID: UInt32
    public var gtrid: [UInt8]
    public var bqual: [UInt8]

    public init(formatID: UInt32, gtrid: [UInt8], bqual: [UInt8]) {
        self.formatID = formatID
        self.gtrid = gtrid
        self.bqual = bqual
    }

    /// As MySQL prints it: X'hex',X'hex',formatID.
    public var description: String {
        "X'\(Hex.string(gtrid))',X'\(Hex.string(bqual))',\(formatID)"
    }
}

/// Lower-case hex of bytes.
enum Hex {
    static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
