import Binlog
import CZstd

/// zstd for MySQL compressed transactions (TRANSACTION_PAYLOAD, `binlog_transaction_compression=ON`):
/// one-shot `ZSTD_decompress` of the payload's frames into a buffer of exactly the announced size;
/// a corrupt stream or another size is a `FieldError`.
enum ZstdDecompressor {
    static func decompress(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8] {
        guard uncompressedLength > 0 else {
            throw FieldError(.invalid, "zstd: announced uncompressed length is 0", offset: 0)
        }
        var out = [UInt8](repeating: 0, count: uncompressedLength)
        var failure: String?
        let produced: Int = compressed.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else {
                    failure = "empty payload"
                    return 0
                }
                let rc = ZSTD_decompress(d, dst.count, s, src.count)
                if ZSTD_isError(rc) != 0 { failure = String(cString: ZSTD_getErrorName(rc)) }
                return Int(rc)
            }
        }
        if let failure { throw FieldError(.invalid, "zstd: \(failure)", offset: 0) }
        guard produced == uncompressedLength else {
            throw FieldError(
                .invalid, "zstd: produced \(produced) bytes, the event announced \(uncompressedLength)", offset: 0)
        }
        return out
    }
}

/// The decompressor the commands and the source use: zlib for MariaDB compressed events, zstd for
/// MySQL compressed transactions.
package struct StandardDecompressor: BinlogDecompressor {
    private let zlib = ZlibDecompressor()

    package init() {}

    package func inflate(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8] {
        try zlib.inflate(compressed, uncompressedLength: uncompressedLength)
    }

    package func zstdDecompress(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8]
    {
        try ZstdDecompressor.decompress(compressed, uncompressedLength: uncompressedLength)
    }
}
