/// Events that are recognised but whose content this decoder refuses, each with a clear error.
enum UnsupportedEvents {
    /// MySQL 8.0.20+ TRANSACTION_PAYLOAD_EVENT (40): a whole transaction compressed with zstd
    /// (`binlog_transaction_compression=ON`). Header fields (packed type, packed length, value):
    /// 1 = payload size, 2 = compression type (0 zstd, 255 none), 3 = uncompressed size, 0 = end.
    static func transactionPayload(body r: inout ByteReader) throws(FieldError) -> Never {
        let start = r.offset
        var compression: UInt64?
        var uncompressed: UInt64?
        while !r.isAtEnd {
            let type = try r.readLengthEncodedInt("payload field type")
            if type == 0 { break }
            let len = try r.readLengthEncodedInt("payload field length")
            guard len <= UInt64(r.remaining) else {
                throw FieldError(.short, "payload field \(type): expected \(len) bytes, had \(r.remaining)", offset: r.offset)
            }
            var f = ByteReader(r.bytes, offset: r.offset, end: r.offset + Int(len))
            if type == 2 { compression = try f.readLengthEncodedInt("compression type") }
            if type == 3 { uncompressed = try f.readLengthEncodedInt("uncompressed size") }
            try r.skip(Int(len), "payload field")
        }
        let algo = compression.map { $0 == 0 ? "zstd" : $0 == 255 ? "none" : "type \($0)" } ?? "unknown"
        let size = uncompressed.map { ", \($0) bytes uncompressed" } ?? ""
        throw FieldError(.unsupported,
                         "compressed binlog (TRANSACTION_PAYLOAD, \(algo)\(size)) not supported; "
                         + "set binlog_transaction_compression=OFF on the source", offset: start)
    }

    /// MySQL 8.3+ GTID_TAGGED_LOG_EVENT (42): a GTID with a tag, in the new serialization format.
    static func taggedGtid(body r: inout ByteReader) throws(FieldError) -> Never {
        throw FieldError(.unsupported, "tagged GTID (MySQL 8.4 GTID_TAGGED_LOG_EVENT) not supported", offset: r.offset)
    }

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
