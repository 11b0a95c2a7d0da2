import CHiredis
import COpenSSL
import Glibc

/// TLS to Redis (`[redis.NAME.tls]`). Debian 12's hiredis 0.14 has no TLS, so a TLS connection
/// uses hiredis only to open the TCP socket and to format commands and parse replies (its reader
/// API); the bytes go through OpenSSL (`RedisTLSChannel`).
package struct RedisTLS: Sendable, Equatable {
    package enum Mode: String, Sendable, Equatable {
        /// Encrypted, the server's certificate not checked.
        case required
        /// The server's certificate must be signed by `ca`.
        case verifyCA = "verify-ca"
        /// And name the host connected to (DNS name or IP address).
        case verifyIdentity = "verify-identity"
    }

    package var mode: Mode
    /// CA certificate (PEM) the server's certificate is verified against; nil: the system's CAs.
    package var ca: String?
    /// Client certificate and key (PEM), for servers with `tls-auth-clients yes`.
    package var cert: String?
    package var key: String?

    package init(mode: Mode, ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.mode = mode
        self.ca = ca
        self.cert = cert
        self.key = key
    }
}

/// One TLS session over a connected socket, with the hiredis reader that parses what it reads.
/// Owns its `SSL_CTX`, `SSL` and `redisReader` and frees them in `deinit` (the socket belongs to
/// the hiredis context of the `RedisConnection`). Blocking I/O: the socket's SO_RCVTIMEO and
/// SO_SNDTIMEO bound every read and write.
final class RedisTLSChannel {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let reader: UnsafeMutablePointer<redisReader>
    private var output: [UInt8] = []
    private let node: String

    /// Performs the handshake on `descriptor`; throws `.connect` naming what failed (a file, the
    /// certificate check, the handshake).
    init(descriptor: Int32, host: String, settings: RedisTLS, node: String) throws(RedisError) {
        self.node = node
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw RedisError(.connect, "TLS: cannot create a context: \(Self.errors())", node: node)
        }
        _ = sluice_ssl_ctx_min_tls12(context)
        guard let reader = redisReaderCreate() else {
            SSL_CTX_free(context)
            throw RedisError(.connect, "out of memory creating a hiredis reader", node: node)
        }
        self.context = context
        self.reader = reader
        // Certificates go into the context first: SSL_new copies them from there.
        if let problem = Self.load(settings, into: context) {
            redisReaderFree(reader)
            SSL_CTX_free(context)
            throw RedisError(.connect, problem, node: node)
        }
        guard let ssl = SSL_new(context) else {
            redisReaderFree(reader)
            SSL_CTX_free(context)
            throw RedisError(.connect, "TLS: cannot create a session: \(Self.errors())", node: node)
        }
        self.ssl = ssl
        try configure(settings, host: host)
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            throw RedisError(.connect, "TLS: cannot attach the socket: \(Self.errors())", node: node)
        }
        let result = SSL_connect(ssl)
        if result != 1 {
            let verify = SSL_get_verify_result(ssl)
            let reason =
                verify != X509_V_OK
                ? "certificate verification failed: \(String(cString: X509_verify_cert_error_string(verify)))"
                : Self.failure(ssl, result)
            throw RedisError(.connect, "TLS handshake failed (\(settings.mode.rawValue)): \(reason)", node: node)
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
        redisReaderFree(reader)
    }

    /// Loads the CA and the client certificate; the problem as text, or nil.
    private static func load(_ settings: RedisTLS, into context: OpaquePointer) -> String? {
        if let ca = settings.ca {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else {
                return "TLS: cannot load the CA file \(ca): \(errors())"
            }
        } else if settings.mode != .required {
            _ = SSL_CTX_set_default_verify_paths(context)
        }
        if let cert = settings.cert, let key = settings.key {
            guard SSL_CTX_use_certificate_chain_file(context, cert) == 1 else {
                return "TLS: cannot load the certificate \(cert): \(errors())"
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(context) == 1
            else { return "TLS: cannot use the key \(key) with \(cert): \(errors())" }
        }
        return nil
    }

    /// The session's checks: the peer's certificate (unless "required") and its name.
    private func configure(_ settings: RedisTLS, host: String) throws(RedisError) {
        SSL_set_verify(ssl, settings.mode == .required ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        let isAddress = Self.isIPAddress(host)
        if !isAddress { _ = sluice_ssl_set_server_name(ssl, host) }
        if settings.mode == .verifyIdentity {
            let param = SSL_get0_param(ssl)
            let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : X509_VERIFY_PARAM_set1_host(param, host, 0)
            guard ok == 1 else { throw RedisError(.connect, "TLS: cannot check the name \(host)", node: node) }
        }
    }

    /// Queues one command (RESP-encoded by hiredis) until the next `readReply`.
    func append(
        argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?, lengths: UnsafePointer<Int>?
    ) -> Bool {
        var target: UnsafeMutablePointer<CChar>?
        let length = redisFormatCommandArgv(&target, argc, argv, lengths)
        guard length >= 0, let target else { return false }
        defer { redisFreeCommand(target) }
        target.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            output.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
        }
        return true
    }

    /// Sends what is queued, then reads until the reader has a whole reply (the caller frees it
    /// with `freeReplyObject`).
    func readReply() throws(RedisError) -> UnsafeMutableRawPointer {
        try flush()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var reply: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &reply) == REDIS_OK else {
                throw RedisError(.protocolViolation, "bad reply: \(Self.readerError(reader))", node: node)
            }
            if let reply { return reply }
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else { throw RedisError(.io, "TLS read failed: \(Self.failure(ssl, count))", node: node) }
            let fed = buffer.withUnsafeBytes {
                redisReaderFeed(reader, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int(count))
            }
            guard fed == REDIS_OK else {
                throw RedisError(.protocolViolation, "bad reply: \(Self.readerError(reader))", node: node)
            }
        }
    }

    private func flush() throws(RedisError) {
        var sent = 0
        while sent < output.count {
            let count = output.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + sent, Int32(min($0.count - sent, 1 << 20))) }
            guard count > 0 else { throw RedisError(.io, "TLS write failed: \(Self.failure(ssl, count))", node: node) }
            sent += Int(count)
        }
        output.removeAll(keepingCapacity: true)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Why an SSL call returned `result`: OpenSSL's queued errors, a timeout, or a closed peer.
    private static func failure(_ ssl: OpaquePointer, _ result: Int32) -> String {
        let number = errno
        let code = SSL_get_error(ssl, result)
        let queued = errors()
        switch code {
        case SSL_ERROR_ZERO_RETURN: return "the server closed the TLS session"
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return "timed out"
        case SSL_ERROR_SYSCALL:
            if number == EAGAIN || number == EWOULDBLOCK { return "timed out" }
            return queued.isEmpty ? (number == 0 ? "connection closed" : String(cString: strerror(number))) : queued
        default: return queued.isEmpty ? "SSL error \(code)" : queued
        }
    }

    /// OpenSSL's error queue as text (emptied).
    private static func errors() -> String {
        var texts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            texts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return texts.joined(separator: "; ")
    }

    private static func readerError(_ reader: UnsafeMutablePointer<redisReader>) -> String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
