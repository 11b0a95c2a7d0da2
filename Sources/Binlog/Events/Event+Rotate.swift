/// ROTATE_EVENT (4): post-header 8-byte position in the next file, then the file name to the end.
package struct RotateEvent: Sendable, Equatable {
    package var nextFile: String
    package var position: UInt64

    package init(nextFile: String, position: UInt64) {
        self.nextFile = nextFile
        self.position = position
    }

    static func decode(body r: inout ByteReader, postHeaderLength: Int) throws(FieldError) -> RotateEvent {
        let pos = postHeaderLength >= 8 ? try r.readUInt64LE("rotate position") : 4
        if postHeaderLength > 8 { try r.skip(postHeaderLength - 8, "rotate post-header") }
        let name = try r.readUTF8(r.remaining, "next binlog file name")
        return RotateEvent(nextFile: name, position: pos)
    }
}
