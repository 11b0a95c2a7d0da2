/// The v4 common event header (19 bytes): timestamp, type, server id, event size, next position, flags.
/// MySQL source: `libbinlogevents/include/binlog_event.h` (LOG_EVENT_HEADER_LEN).
package struct EventHeader: Sendable, Equatable {
    package static let length = 19

    /// Seconds since the epoch when the statement began.
    package var timestamp: UInt32
    /// Raw type code (see `EventType`).
    package var typeCode: UInt8
    package var serverID: UInt32
    /// Size of the whole event: header, body and checksum.
    package var eventSize: UInt32
    /// Position of the next event in the binlog file (0 for artificial events).
    package var nextPosition: UInt32
    package var flags: UInt16

    package init(timestamp: UInt32, typeCode: UInt8, serverID: UInt32, eventSize: UInt32,
                nextPosition: UInt32, flags: UInt16) {
        self.timestamp = timestamp
        self.typeCode = typeCode
        self.serverID = serverID
        self.eventSize = eventSize
        self.nextPosition = nextPosition
        self.flags = flags
    }

    package var type: EventType? { EventType(rawValue: typeCode) }

    /// LOG_EVENT_ARTIFICIAL_F: the event was made up by the server (fake ROTATE on connect).
    package var isArtificial: Bool { flags & 0x20 != 0 }

    static func decode(from r: inout ByteReader) throws(FieldError) -> EventHeader {
        let ts = try r.readUInt32LE("timestamp")
        let type = try r.readUInt8("event type")
        let sid = try r.readUInt32LE("server id")
        let size = try r.readUInt32LE("event size")
        let next = try r.readUInt32LE("next position")
        let flags = try r.readUInt16LE("flags")
        return EventHeader(timestamp: ts, typeCode: type, serverID: sid, eventSize: size,
                           nextPosition: next, flags: flags)
    }
}
