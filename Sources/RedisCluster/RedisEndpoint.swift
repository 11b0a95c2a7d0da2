/// A node address. `description` is `host:port`, the form used in MOVED/ASK replies and errors.
package struct RedisEndpoint: Hashable, Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, splitting at the last colon so IPv6 hosts work. An empty host (Redis
    /// writes `:port` when it does not know its address) takes `defaultHost`.
    package init?(parsing text: Substring, defaultHost: String? = nil) {
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

    package var description: String { "\(host):\(port)" }
}

/// Connection settings shared by every node of a cluster (or the one standalone server).
package struct RedisOptions: Sendable, Equatable {
    /// Seconds allowed for the TCP connect.
    package var connectTimeout: Double
    /// Seconds allowed for one command (or one pipeline's read) before the connection is dropped.
    package var commandTimeout: Double
    /// ACL user; nil means the `default` user (AUTH with the password only).
    package var username: String?
    package var password: String?
    /// Bounded retries for MOVED/ASK/TRYAGAIN/CLUSTERDOWN/connection loss.
    package var retry: RetryPolicy
    /// TLS to every node; nil: plain TCP.
    package var tls: RedisTLS?

    package init(
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
