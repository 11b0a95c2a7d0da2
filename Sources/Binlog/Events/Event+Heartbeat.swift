/// HEARTBEAT_LOG_EVENT (27, MySQL and MariaDB) and MySQL 8.0.26+ HEARTBEAT_LOG_EVENT_V2 (41).
/// Sent by the primary on an idle connection, never written to a file. v1: the current binlog file
/// name as the body, the position in the header's next-position field. v2: fields as (type, length,
/// value) with packed integers: 1 = file name, 2 = position (a packed integer), 0 = end mark.
package struct HeartbeatEvent: Sendable, Equatable {
    package var file: String
    package var position: UInt64

    package init(file: String, position: UInt64) {
        self.file = file
        self.position = position
    }

    static func decodeV1(body r: inout ByteReader, header: EventHeader) throws(FieldError) -> HeartbeatEvent {
        HeartbeatEvent(file: try r.readUTF8(r.remaining, "heartbeat file name"), position: UInt64(header.nextPosition))
    }

    static func decodeV2(body r: inout ByteReader) throws(FieldError) -> HeartbeatEvent {
        var file: String?
        var position: UInt64?
        while !r.isAtEnd {
            let at = r.offset
            let type = try r.readLengthEncodedInt("heartbeat field type")
            if type == 0 { break }
            let len = try r.readLengthEncodedInt("heartbeat field length")
            guard len <= UInt64(r.remaining) else {
                throw FieldError(.short, "heartbeat field \(type): expected \(len) bytes, had \(r.remaining)", offset: at)
            }
            var field = ByteReader(r.bytes, offset: r.offset, end: r.offset + Int(len))
            switch type {
            case 1: file = try field.readUTF8(field.remaining, "heartbeat file name")
            case 2: position = try field.readLengthEncodedInt("heartbeat position")
            default: break
            }
            try r.skip(Int(len), "heartbeat field")
        }
        guard let file, let position else {
            throw FieldError(.invalid, "heartbeat v2 without file name or position", offset: r.offset)
        }
        return HeartbeatEvent(file: file, position: position)
    }
}
