/// One RESP2 reply, decoded from hiredis' reply tree into a value.
package enum RedisReply: Sendable, Equatable {
    /// Bulk string (binary safe).
    case bulk([UInt8])
    /// Simple status string such as `OK`.
    case status(String)
    case integer(Int64)
    /// Nil bulk or nil array.
    case null
    /// Error reply, e.g. `MOVED 3999 127.0.0.1:6381` or `NOPERM ...`.
    case error(String)
    indirect case array([RedisReply])

    /// The reply as text: bulk (UTF-8, lossy only on invalid bytes), status or error.
    package var text: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s), .error(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// Integer reply, or a bulk/status holding a decimal integer.
    package var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulk, .status: return text.flatMap { Int64($0) }
        default: return nil
        }
    }

    package var isError: Bool { if case .error = self { return true } else { return false } }

    package var errorMessage: String? { if case .error(let m) = self { return m } else { return nil } }

    package var elements: [RedisReply]? { if case .array(let a) = self { return a } else { return nil } }
}
