/// Certificate files of a TLS connection (PEM), as absolute paths checked readable at load time.
package struct TLSFiles: Sendable, Equatable {
    /// CA certificate the server's certificate is verified against.
    package var ca: String?
    /// Client certificate and its key, for certificate authentication (both or neither).
    package var cert: String?
    package var key: String?

    package init(ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }

    /// Reads `ca`, `cert` and `key` of a `[*.tls]` table; `ca` is required when `mode` (named in
    /// the error) checks the server's certificate against it.
    init(_ reader: TableReader, mode: String = "", requiresCA: Bool = false) {
        if requiresCA, !reader.has("ca") {
            reader.missing("ca", "required when mode is \"\(mode)\"", line: reader.line(of: "mode"))
        }
        ca = reader.readablePath("ca")
        cert = reader.readablePath("cert")
        key = reader.readablePath("key")
        if reader.has("cert") != reader.has("key") {
            reader.badValue(reader.has("cert") ? "cert" : "key", "cert and key go together: set both or neither")
        }
    }
}

/// `[*.tls]` of a client whose server port speaks TLS or not (Kafka, Redis): the modes of
/// `[source.tls]` less "preferred", since there is nothing to negotiate.
package struct ClientTLS: Sendable, Equatable {
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        case disabled, required
        case verifyCA = "verify-ca"
        case verifyIdentity = "verify-identity"
    }

    package var mode: Mode
    package var files: TLSFiles

    package init(mode: Mode, files: TLSFiles) {
        self.mode = mode
        self.files = files
    }

    /// Reads the table; `requireCA`: verify-ca and verify-identity need `ca`.
    init(_ reader: TableReader, requireCA: Bool) {
        mode = reader.choice("mode", default: Mode.disabled)
        let verifying = mode == .verifyCA || mode == .verifyIdentity
        files = TLSFiles(reader, mode: mode.rawValue, requiresCA: requireCA && verifying)
    }
}
