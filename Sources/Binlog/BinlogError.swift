/// Message-level decode failure: which event (type), where (binlog file and event position), at
/// which byte of the event, and the field-level cause when there is one.
package struct BinlogError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// The CRC32 stored in the event does not match its bytes.
        case checksumMismatch
        /// The file (or buffer) ends inside an event.
        case truncated
        /// The file does not start with the binlog magic bytes.
        case badMagic
        /// A field of the event could not be decoded (see `field`).
        case malformed
        /// The event decoded but bytes were left over after its last field.
        case leftoverBytes
        /// A construct recognised but not supported (compressed payload, encryption, tagged GTID...).
        case unsupported
        /// The file could not be opened or read.
        case io
    }

    package let code: Code
    package let message: String
    /// Event type code, when the failure is inside an event.
    package let eventType: UInt8?
    /// Binlog file name (as given to the reader or the decoder).
    package let file: String?
    /// Position of the event's first byte in the binlog file.
    package let position: UInt64?
    /// Byte offset inside the event (header included) where decoding failed.
    package let offset: Int?
    /// The field-level cause.
    package let field: FieldError?

    package init(_ code: Code, _ message: String, eventType: UInt8? = nil, file: String? = nil,
                position: UInt64? = nil, offset: Int? = nil, field: FieldError? = nil) {
        self.code = code
        self.message = message
        self.eventType = eventType
        self.file = file
        self.position = position
        self.offset = offset
        self.field = field
    }

    package var description: String {
        var s = ""
        if let file { s += file }
        if let position { s += (s.isEmpty ? "position " : ":") + String(position) }
        if !s.isEmpty { s += ": " }
        if let eventType { s += EventType.name(of: eventType) + ": " }
        s += message
        if let offset { s += " (at byte \(offset) of the event)" }
        return s
    }
}
