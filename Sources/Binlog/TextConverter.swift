/// Converts text in a multi-byte CJK charset (big5, gbk, gb2312, gb18030, sjis, cp932, ujis,
/// eucjpms, euckr) to a Swift string. The decoder stays pure: the implementation over glibc's
/// iconv (`IconvTextConverter` in the BinlogCompression target) is passed to `EventDecoder`, as
/// the zlib decompressor is. Without one, text in these charsets stays bytes (base64 in JSON).
package protocol TextConverter: Sendable {
    /// The text of `bytes` in `charset` (a MySQL charset name), or nil when the bytes are not
    /// valid in it (then the value stays bytes) or the charset is unknown to the converter.
    func text(_ bytes: UnsafeBufferPointer<UInt8>, charset: String) -> String?
}
