/// Events that are recognised but whose content this decoder refuses, each with a clear error.
enum UnsupportedEvents {
    /// MariaDB START_ENCRYPTION_EVENT (164): scheme (1), key version (4), nonce (12); every event
    /// after it in the file is encrypted.
    static func startEncryption(body r: inout ByteReader) throws(FieldError) -> Never {
        let at = r.offset
        let scheme = try r.readUInt8("encryption scheme")
        let key = try r.readUInt32LE("key version")
        try r.skip(12, "nonce")
        throw FieldError(.unsupported,
                         "encrypted binlog (START_ENCRYPTION, scheme \(scheme), key version \(key)) not supported; "
                         + "read it through the server (replication) instead", offset: at)
    }
}
