/// Inflates the zlib stream of a MariaDB compressed event (`log_bin_compress=ON`) and the zstd
/// frames of a MySQL TRANSACTION_PAYLOAD. The decoder stays pure: the implementations over zlib
/// and libzstd live in the BinlogCompression target and are passed in.
package protocol BinlogDecompressor: Sendable {
    /// Inflates `compressed` (zlib) into exactly `uncompressedLength` bytes, or throws.
    func inflate(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8]
    /// Decompresses `compressed` (zstd frames) into exactly `uncompressedLength` bytes, or throws.
    func zstdDecompress(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8]
}

extension BinlogDecompressor {
    package func zstdDecompress(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8] {
        throw FieldError(.unsupported, "zstd is not available to this decompressor", offset: 0)
    }
}

/// MariaDB's compressed-payload framing (`binlog_buf_uncompress`): one header byte `0x80 | n`
/// (n = 1...4), the uncompressed length in n big-endian bytes, then a zlib stream.
enum MariaDBCompressedPayload {
    /// zlib cannot expand data by more than about 1032:1; a larger claim is corrupt.
    static let maxRatio = 1032

    /// `payload` is a slice of the event's bytes, so its indices are event offsets.
    static func inflate(_ payload: ArraySlice<UInt8>, with d: (any BinlogDecompressor)?) throws(FieldError) -> [UInt8] {
        let eventOffset = payload.startIndex
        var r = ByteReader(Array(payload))
        let header = try r.readUInt8("compressed header")
        let n = Int(header & 0x07)
        guard header & 0x80 != 0, (1...4).contains(n) else {
            throw FieldError(.invalid, "compressed header byte 0x\(String(header, radix: 16)) is not 0x80|1...4", offset: eventOffset)
        }
        let length = Int(try r.readUIntBE(n, "uncompressed length"))
        let body = try r.readSlice(r.remaining, "zlib stream")
        guard length <= (body.count + 1) * maxRatio else {
            throw FieldError(.invalid, "uncompressed length \(length) impossible for \(body.count) compressed bytes",
                             offset: eventOffset)
        }
        guard let d else {
            throw FieldError(.unsupported, "compressed event (log_bin_compress) but no decompressor was configured",
                             offset: eventOffset)
        }
        do throws(FieldError) {
            return try d.inflate(body, uncompressedLength: length)
        } catch {
            throw FieldError(error.code, "inflating compressed event: \(error.message)", offset: eventOffset)
        }
    }
}
