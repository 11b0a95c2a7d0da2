/// MySQL 8.0.20+ TRANSACTION_PAYLOAD_EVENT (40): a whole transaction's events compressed together
/// (`binlog_transaction_compression=ON`). Body (MySQL `binary_log::Transaction_payload_event`,
/// codecs `Transaction_payload::fields`): header fields of (type, length, value), every one a
/// packed integer, ended by type 0; then the payload.
///
/// | type | field | value |
/// |---|---|---|
/// | 1 | PAYLOAD_SIZE | bytes of payload after the header |
/// | 2 | COMPRESSION_TYPE | 0 = zstd, 255 = none |
/// | 3 | UNCOMPRESSED_SIZE | bytes of the events once decompressed |
///
/// The payload is the transaction's events back to back (GTID excepted: it stays outside), each
/// with a full header but no checksum and `log_pos` 0: MySQL reports every one at the position
/// of the TRANSACTION_PAYLOAD event, and so does this decoder (`Event.position` of each inner
/// event is the payload event's). Memory: one buffer of the announced uncompressed size, checked
/// against what zstd can produce from the payload's size, then the decoded events.
package struct TransactionPayloadEvent: Sendable, Equatable {
    package enum Compression: Sendable, Equatable {
        case zstd, none
    }

    package var compression: Compression
    package var uncompressedSize: Int
    /// The transaction's events in order, each at the payload event's position.
    package var events: [Event]

    package init(compression: Compression, uncompressedSize: Int, events: [Event]) {
        self.compression = compression
        self.uncompressedSize = uncompressedSize
        self.events = events
    }

    /// zstd cannot expand data by more than its largest block (128 KiB) per 3-byte block header,
    /// plus one frame's worth; a larger claim is corrupt.
    static func maxUncompressed(_ compressed: Int) -> Int { (compressed / 3 + 1) * (128 << 10) }

    /// Reads the header fields and returns the payload's events as bytes (decompressed when zstd).
    static func payloadBytes(body r: inout ByteReader, decompressor: (any BinlogDecompressor)?) throws(FieldError)
        -> (Compression, [UInt8])
    {
        var payloadSize: UInt64?
        var compressionCode: UInt64?
        var uncompressed: UInt64?
        while true {
            let at = r.offset
            let type = try r.readLengthEncodedInt("payload field type")
            if type == 0 { break }
            let len = try r.readLengthEncodedInt("payload field length")
            guard len <= UInt64(r.remaining) else {
                throw FieldError(
                    .short, "payload field \(type): expected \(len) bytes, had \(r.remaining)", offset: r.offset)
            }
            var f = ByteReader(r.bytes, offset: r.offset, end: r.offset + Int(len))
            switch type {
            case 1: payloadSize = try f.readLengthEncodedInt("payload size")
            case 2: compressionCode = try f.readLengthEncodedInt("compression type")
            case 3: uncompressed = try f.readLengthEncodedInt("uncompressed size")
            default: try f.skip(f.remaining, "unknown payload field")
            }
            guard f.isAtEnd else {
                throw FieldError(.invalid, "payload field \(type): \(f.remaining) bytes left over", offset: at)
            }
            try r.skip(Int(len), "payload field")
        }
        let at = r.offset
        guard let payloadSize, payloadSize == UInt64(r.remaining) else {
            throw FieldError(
                .invalid, "payload size \(payloadSize.map(String.init) ?? "missing"), but \(r.remaining) bytes follow",
                offset: at)
        }
        let payload = try r.readSlice(r.remaining, "payload")
        switch compressionCode {
        case 255:
            return (.none, Array(payload))
        case 0:
            guard let uncompressed, uncompressed <= UInt64(maxUncompressed(payload.count)) else {
                throw FieldError(
                    .invalid,
                    "uncompressed size \(uncompressed.map(String.init) ?? "missing") impossible for \(payload.count) zstd bytes",
                    offset: at)
            }
            guard let decompressor else {
                throw FieldError(
                    .unsupported, "compressed transaction (zstd) but no decompressor was configured", offset: at)
            }
            do throws(FieldError) {
                return (.zstd, try decompressor.zstdDecompress(payload, uncompressedLength: Int(uncompressed)))
            } catch {
                throw FieldError(error.code, "decompressing the transaction payload: \(error.message)", offset: at)
            }
        default:
            throw FieldError(
                .unsupported, "transaction payload compression type \(compressionCode.map(String.init) ?? "missing")",
                offset: at)
        }
    }
}
