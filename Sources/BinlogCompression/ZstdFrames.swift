import CZstd

/// A zstd failure (corrupt or cut-short input, output beyond the limit), as libzstd names it.
package struct ZstdError: Error, Equatable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
    init(_ message: String) { self.message = message }
}

/// Whole-buffer zstd for files (the ledger's archived journal segments), beside the binlog's
/// one-shot `ZstdDecompressor`: frames carry their content checksum, and reading streams every
/// frame of the input, so files written by the `zstd` command line (any size header, several
/// frames) read as well.
package enum Zstd {
    /// One frame of `bytes` at `level`, with the content size and a content checksum.
    package static func compress(_ bytes: [UInt8], level: Int32 = 3) throws(ZstdError) -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw ZstdError("zstd: cannot create a compression context") }
        defer { ZSTD_freeCCtx(context) }
        for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1)] {
            let rc = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(rc) != 0 { throw ZstdError("zstd: " + String(cString: ZSTD_getErrorName(rc))) }
        }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let rc = bytes.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                ZSTD_compress2(context, target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        if ZSTD_isError(rc) != 0 { throw ZstdError("zstd: " + String(cString: ZSTD_getErrorName(rc))) }
        return Array(out.prefix(rc))
    }

    /// Every frame of `bytes`, decompressed and concatenated; throws when the input is empty,
    /// corrupt (a checksum included), cut short inside a frame, or would exceed `limit` bytes.
    package static func decompress(_ bytes: [UInt8], limit: Int) throws(ZstdError) -> [UInt8] {
        guard !bytes.isEmpty else { throw ZstdError("zstd: the input is empty (no frame)") }
        guard let context = ZSTD_createDCtx() else { throw ZstdError("zstd: cannot create a decompression context") }
        defer { ZSTD_freeDCtx(context) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var failure: ZstdError?
        bytes.withUnsafeBytes { source in
            chunk.withUnsafeMutableBytes { target in
                var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                while true {
                    var output = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let rc = ZSTD_decompressStream(context, &output, &input)
                    if ZSTD_isError(rc) != 0 {
                        failure = ZstdError("zstd: " + String(cString: ZSTD_getErrorName(rc)))
                        return
                    }
                    out += target.prefix(output.pos)
                    guard out.count <= limit else {
                        failure = ZstdError("zstd: the content exceeds \(limit) bytes")
                        return
                    }
                    // All input read and the output not full: nothing is buffered any more.
                    if input.pos == input.size, output.pos < output.size {
                        if rc != 0 { failure = ZstdError("zstd: the input ends inside a frame (cut short)") }
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return out
    }
}
