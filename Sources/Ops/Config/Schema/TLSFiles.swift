/// Certificate files of a TLS connection (PEM), as absolute paths checked readable at load time.
public struct TLSFiles: Sendable, Equatable {
    /// CA certificate the server's certificate is verified against.
    public var ca: String?
    /// Client certificate and its key, for certificate authentication (both or neither).
    public var cert: String?
    public var key: String?

    public init(ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }

    /// Reads `ca`, `cert` and `key` of a `[*.tls]` table.
    init(_ reader: TableReader) {
        ca = reader.readablePath("ca")
        cert = reader.readablePath("cert")
        key = reader.readablePath("key")
        if reader.has("cert") != reader.has("key") {
            reader.badValue(reader.has("cert") ? "cert" : "key", "cert and key go together: set both or neither")
        }
    }
}
