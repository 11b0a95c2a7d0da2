/// A node address. `description` is `host:port`, the form used in MOVED/ASK replies and errors.
public struct RedisEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, splitting at the last colon so IPv6 hosts work. An empty host (Redis
    /// writes `:port` when it does not know its address) takes `defaultHost`.
    public init?(parsing text: Substring, defaultHost: String? = nil) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[text.startIndex..<colon])
        guard let port = Int(text[text.index(after: colon)...]), port > 0, port < 65536 else { return nil }
        if host.isEmpty {
            guard let defaultHost else { return nil }
            self.init(host: defaultHost, port: port)
        } else {
            self.init(host: host, port: port)
        }
    }

    public var description: String { "\(host):\(port)" }
}

/// Connection settings shared by every node of a cluster (or the one standalone server).
public struct RedisOptions: Sendable, Equatable {
    /// Seconds allowed for the TCP connect.
    public var connectTimeout: Double
    /// Seconds allowed for one command (or one pipeline's read) before the connection is dropped.
    public var commandTimeout: Double
    /// ACL user; nil means the `default` user (AUTH with the password only).
    public var username: String?
    public var password: String?
    /// Bounded retries for MOVED/ASK/TRYAGAIN/CLUSTERDOWN/connection loss.
    public var retry: RetryPolicy
    /// TLS to every node; nil: plain TCP.
    public var tls: RedisTLS?

    public init(
        connectTimeout: Double = 2, commandTimeout: Double = 5, username: String? = nil,
        password: String? = nil, retry: RetryPolicy = RetryPolicy(), tls: RedisTLS? = nil
    ) {
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.username = username
        self.password = password
        self.retry = retry
    }
}
