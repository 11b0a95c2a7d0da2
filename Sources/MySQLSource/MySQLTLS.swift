import CMariaDB

/// TLS settings of a connection, with the modes MySQL's own clients use (`--ssl-mode`).
///
/// | mode | encrypts | refuses a server without TLS | checks the chain against `ca` | checks the host name |
/// |---|---|---|---|---|
/// | disabled | no | - | - | - |
/// | preferred | when the server offers it | no | no | no |
/// | required | yes | yes | no | no |
/// | verify-ca | yes | yes | yes | no |
/// | verify-identity | yes | yes | yes | yes |
///
/// `cert` and `key` present a client certificate (for accounts created `REQUIRE X509`).
package struct MySQLTLS: Sendable, Equatable {
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        case disabled
        case preferred
        case required
        case verifyCA = "verify-ca"
        case verifyIdentity = "verify-identity"
    }

    package var mode: Mode
    /// PEM file of the certificate authorities that may sign the server's certificate.
    package var ca: String?
    /// PEM file of the client certificate, and its private key.
    package var cert: String?
    package var key: String?

    package init(mode: Mode = .disabled, ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.mode = mode
        self.ca = ca
        self.cert = cert
        self.key = key
    }

    package static let disabled = MySQLTLS()

    /// A settings problem found before connecting (a verifying mode without a CA, a key
    /// without a certificate), else nil.
    package var problem: String? {
        if (mode == .verifyCA || mode == .verifyIdentity) && (ca ?? "").isEmpty {
            return "TLS mode \(mode.rawValue) needs a CA file (ssl_ca) to verify the server's certificate"
        }
        if (cert == nil) != (key == nil) {
            return "a TLS client certificate needs both a certificate file and its key file"
        }
        if mode == .disabled && (ca != nil || cert != nil) {
            return "TLS files are given but the TLS mode is disabled"
        }
        return nil
    }

    /// Sets libmariadb's options on a fresh handle (before `mysql_real_connect`). Connector/C
    /// verifies the chain whenever a CA is set and the host name only with
    /// MYSQL_OPT_SSL_VERIFY_SERVER_CERT; MYSQL_OPT_SSL_ENFORCE asks for TLS, and a server
    /// without TLS is refused afterwards by `verify(connected:)` for the strict modes.
    func apply(to handle: UnsafeMutablePointer<MYSQL>) {
        guard mode != .disabled else { return }
        var enforce: my_bool = 1
        mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
        var verifyHost: my_bool = mode == .verifyIdentity ? 1 : 0
        mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verifyHost)
        if let ca, mode == .verifyCA || mode == .verifyIdentity { mysql_options(handle, MYSQL_OPT_SSL_CA, ca) }
        if let cert { mysql_options(handle, MYSQL_OPT_SSL_CERT, cert) }
        if let key { mysql_options(handle, MYSQL_OPT_SSL_KEY, key) }
    }

    /// After connecting: the strict modes refuse a session that is not encrypted.
    func verify(connected handle: UnsafeMutablePointer<MYSQL>, context: String) throws(MySQLError) {
        guard mode != .disabled, mode != .preferred else { return }
        if mysql_get_ssl_cipher(handle) == nil {
            throw MySQLError(
                operation: .connect, code: 2026, sqlState: "HY000",
                message: "TLS mode \(mode.rawValue) requires an encrypted connection, but the server did not offer TLS",
                context: context)
        }
    }

    /// The cipher of an established session, nil when it is not encrypted.
    static func cipher(of handle: UnsafeMutablePointer<MYSQL>) -> String? {
        mysql_get_ssl_cipher(handle).map { String(cString: $0) }
    }
}
