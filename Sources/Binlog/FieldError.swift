/// Field-level decode failure: what was being read, why, and at which byte offset of the buffer.
/// Message-level errors (`BinlogError`) wrap it with the event type, file and position.
package struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// Fewer bytes left than the field needs.
        case short
        /// Bytes present but not a legal value (bad length prefix, invalid UTF-8, unknown type).
        case invalid
        /// A length or index outside what the structure allows.
        case outOfRange
        /// A construct the decoder recognises but does not support (stated in the message).
        case unsupported
    }

    package let code: Code
    package let message: String
    /// Offset of the failing field inside the buffer being decoded.
    package let offset: Int

    package init(_ code: Code, _ message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    package var description: String { "\(message) (at byte \(offset))" }
}
