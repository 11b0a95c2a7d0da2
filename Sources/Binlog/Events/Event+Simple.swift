/// INTVAR_EVENT (5): the value of LAST_INSERT_ID (type 1) or INSERT_ID (type 2) for the next statement.
package struct IntvarEvent: Sendable, Equatable {
    package var kind: UInt8
    package var value: UInt64

    static func decode(body r: inout ByteReader) throws(FieldError) -> IntvarEvent {
        IntvarEvent(kind: try r.readUInt8("intvar type"), value: try r.readUInt64LE("intvar value"))
    }
}

/// RAND_EVENT (13): the two RAND() seeds of the next statement.
package struct RandEvent: Sendable, Equatable {
    package var seed1: UInt64
    package var seed2: UInt64

    static func decode(body r: inout ByteReader) throws(FieldError) -> RandEvent {
        RandEvent(seed1: try r.readUInt64LE("seed1"), seed2: try r.readUInt64LE("seed2"))
    }
}

/// INCIDENT_EVENT (26): the server lost events (e.g. LOST_EVENTS = 1); replication must stop.
package struct IncidentEvent: Sendable, Equatable {
    package var incident: UInt16
    package var message: String

    static func decode(body r: inout ByteReader) throws(FieldError) -> IncidentEvent {
        let code = try r.readUInt16LE("incident type")
        let len = Int(try r.readUInt8("incident message length"))
        let msg = try r.readBytes(len, "incident message")
        return IncidentEvent(incident: code, message: Event.displayText(msg))
    }
}
