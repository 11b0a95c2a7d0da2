import COpenSSL

/// SHA-256 of a record's payload: the next record's `chain` field (record 1 carries 32 zero bytes).
package enum JournalHash {
    package static let count = 32
    package static let genesis = [UInt8](repeating: 0, count: count)

    package static func sha256(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { out in _ = SHA256(input.baseAddress, input.count, out.baseAddress) }
        }
        return digest
    }

    /// What a seal's signature covers: a domain tag, the seal's sequence and its chain (the hash
    /// of the record before it, which chains every earlier record).
    package static func sealMessage(sequence: UInt64, chain: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(Array("sluice-journal-seal-v1\0".utf8))
        writer.u64(sequence)
        writer.bytes(chain)
        return writer.data
    }
}

/// A key that could not be read or used; names where it came from (a file, a credential).
package struct JournalKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    package let source: String
    package let message: String
    package init(_ source: String, _ message: String) {
        self.source = source
        self.message = message
    }
    package var description: String { "journal key \(source): \(message)" }
}

/// An Ed25519 key (private for the writer, public for `journal verify`), through libcrypto.
/// `keyID`: the first 8 bytes of SHA-256 over the public key's DER, stored in each seal so that
/// a verifier names the key a seal needs.
package final class JournalKey: @unchecked Sendable {
    private let key: OpaquePointer
    package let keyID: [UInt8]
    package let isPrivate: Bool

    /// `pem`: a PKCS#8 `PRIVATE KEY` or (with `isPrivate` false) a `PUBLIC KEY`.
    package init(pem: String, isPrivate: Bool, source: String) throws(JournalKeyError) {
        let text = pem.hasSuffix("\n") ? pem : pem + "\n"
        guard let owned = BIO_new(BIO_s_mem()) else { throw JournalKeyError(source, "out of memory") }
        defer { BIO_free(owned) }
        _ = text.withCString { BIO_write(owned, $0, Int32(strlen($0))) }
        let loaded =
            isPrivate
            ? PEM_read_bio_PrivateKey(owned, nil, nil, nil) : PEM_read_bio_PUBKEY(owned, nil, nil, nil)
        guard let loaded else {
            throw JournalKeyError(
                source, "not a PEM \(isPrivate ? "private" : "public") key (\(Self.openSSLError()))")
        }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(loaded)
            throw JournalKeyError(source, "not an Ed25519 key (openssl genpkey -algorithm ed25519)")
        }
        key = loaded
        self.isPrivate = isPrivate
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(loaded, &der)
        let bytes = length > 0 && der != nil ? Array(UnsafeBufferPointer(start: der, count: Int(length))) : []
        CRYPTO_free(der, #file, #line)
        keyID = Array(JournalHash.sha256(bytes[...]).prefix(8))
    }

    deinit { EVP_PKEY_free(key) }

    package var keyIDText: String { JournalVerify.hex(keyID) }

    /// The Ed25519 signature (64 bytes) of `message`; a private key only.
    package func sign(_ message: [UInt8]) throws(JournalKeyError) -> [UInt8] {
        guard isPrivate, let ctx = EVP_MD_CTX_new() else { throw JournalKeyError("signer", "not a private key") }
        defer { EVP_MD_CTX_free(ctx) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = message.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { out in
                EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1
                    && EVP_DigestSign(ctx, out.baseAddress, &length, input.baseAddress, input.count) == 1
            }
        }
        guard ok else { throw JournalKeyError("signer", "signing failed (\(Self.openSSLError()))") }
        return Array(signature.prefix(length))
    }

    package func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        return message.withUnsafeBufferPointer { input in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1
                    && EVP_DigestVerify(ctx, sig.baseAddress, sig.count, input.baseAddress, input.count) == 1
            }
        }
    }

    /// The public key as PEM (`openssl pkey -pubout` gives the same).
    package func publicPEM() -> String { Self.pem { PEM_write_bio_PUBKEY($0, key) } }

    /// A new Ed25519 private key as PEM (tests and `bench ledger --sign`; operators use
    /// `openssl genpkey -algorithm ed25519`).
    package static func generatePrivatePEM() -> String {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { return "" }
        defer { EVP_PKEY_CTX_free(ctx) }
        var generated: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_keygen(ctx, &generated) == 1, let generated else { return "" }
        defer { EVP_PKEY_free(generated) }
        return pem { PEM_write_bio_PrivateKey($0, generated, nil, nil, 0, nil, nil) }
    }

    private static func pem(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, 1024) }
            guard n > 0 else { break }
            out.append(contentsOf: buffer.prefix(Int(n)))
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func openSSLError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "no detail" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
