import Binlog
import CZlib

/// zlib inflate for MariaDB compressed binlog events (`log_bin_compress=ON`, event types 165-171),
/// handed to `EventDecoder` as its `BinlogDecompressor`. One-shot `uncompress` into a buffer of
/// exactly the announced size; anything else (corrupt stream, wrong size) is a `FieldError`.
package struct ZlibDecompressor: BinlogDecompressor {
    package init() {}

    package func inflate(_ compressed: ArraySlice<UInt8>, uncompressedLength: Int) throws(FieldError) -> [UInt8] {
        guard uncompressedLength > 0 else {
            throw FieldError(.invalid, "zlib: announced uncompressed length is 0", offset: 0)
        }
        var out = [UInt8](repeating: 0, count: uncompressedLength)
        var produced = uLongf(uncompressedLength)
        let rc: Int32 = compressed.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return Z_BUF_ERROR }
                return uncompress(d, &produced, s, uLong(src.count))
            }
        }
        guard rc == Z_OK else {
            let what: String
            switch rc {
            case Z_DATA_ERROR: what = "corrupt or incomplete data"
            case Z_BUF_ERROR: what = "data inflates to more than the announced \(uncompressedLength) bytes"
            case Z_MEM_ERROR: what = "out of memory"
            default: what = "error \(rc)"
            }
            throw FieldError(.invalid, "zlib: \(what)", offset: 0)
        }
        guard Int(produced) == uncompressedLength else {
            throw FieldError(.invalid, "zlib: inflated \(produced) bytes, event announced \(uncompressedLength)", offset: 0)
        }
        return out
    }
}
