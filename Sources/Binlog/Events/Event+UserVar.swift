/// USER_VAR_EVENT (14): a user variable used by the next statement.
/// name length (4), name, is-null (1); when not null: value type (1), charset (4), value length (4),
/// value, and (MySQL 5.6+/MariaDB 10.x) an optional flags byte (1 = unsigned).
package struct UserVarEvent: Sendable, Equatable {
    package var name: String
    /// nil when the variable is NULL.
    package var valueType: UInt8?
    package var charset: UInt32?
    package var value: [UInt8]?
    package var flags: UInt8?

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
