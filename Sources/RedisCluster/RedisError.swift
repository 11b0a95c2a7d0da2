/// A failure talking to Redis, with the node it happened on and the inner cause kept.
package struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// TCP connect failed or timed out.
        case connect
        /// The connection broke or a read/write timed out mid-command.
        case io
        /// AUTH refused (wrong user/password) or the user lacks a permission.
        case auth
        /// The server answered with an error reply that is not a redirection.
        case server
        /// A reply of an unexpected shape (e.g. CLUSTER SLOTS not an array).
        case protocolViolation
        /// MOVED/ASK/TRYAGAIN/CLUSTERDOWN still unresolved after the retry budget.
        case retriesExhausted
        /// No node serves the slot (cluster not fully covered).
        case slotUncovered
        /// A usage error: bad option, empty seed list.
        case usage
        /// A write carried a fencing token older than the one stored: another instance holds the
        /// lease now (`Fencing`); nothing of it was written.
        case fenced
    }

    package let code: Code
    package let message: String
    /// `host:port` of the node involved, when there is one.
    package let node: String?
    /// The error this one wraps (e.g. the last redirection before giving up).
    package let underlying: String?

    package init(_ code: Code, _ message: String, node: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.node = node
        self.underlying = underlying
    }

    /// `.auth` for permission refusals (`NOPERM`, `WRONGPASS`, and the error a function's inner
    /// call gets when the ACL user may not touch a key or run a command), else `.server`.
    package static func code(forServerError message: String) -> Code {
        if message.hasPrefix(Fencing.refusalPrefix) { return .fenced }
        if message.hasPrefix("NOPERM") || message.hasPrefix("WRONGPASS")
            || message.contains("The user executing the script can't")
        {
            return .auth
        }
        return .server
    }

    package var description: String {
        var s = "redis \(code.rawValue) error"
        if let node { s += " at \(node)" }
        s += ": \(message)"
        if let underlying { s += " (cause: \(underlying))" }
        return s
    }
}
