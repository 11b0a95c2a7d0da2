import Binlog
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Text in MySQL's multi-byte CJK charsets to Swift strings through glibc's iconv (a libc call:
/// no package), handed to `EventDecoder` as its `TextConverter`. Strict: a byte sequence invalid
/// or incomplete in the charset gives nil, so the value stays bytes; nothing is replaced.
///
/// The text must be what the server itself returns, so each charset was checked code by code
/// against MariaDB 10.11.19 (every two-byte code, and every three-byte code of the EUC-JP
/// charsets, converted by the server and by glibc 2.36); where they differ the server wins:
///
/// | MySQL charset | iconv name | differences from glibc, corrected here |
/// |---|---|---|
/// | big5 | BIG5 | 461 codes (`Big5Overrides`) |
/// | gbk | GBK | none |
/// | gb2312 | GB2312 (EUC-CN) | none |
/// | gb18030 | GB18030 | MySQL 8 only, not checked against a server |
/// | sjis | SJIS | 0x5C, 0x7E and 0x815F read as `\`, `~` and `\` (glibc: U+00A5, U+203E, U+FF3C) |
/// | cp932 | CP932 | none |
/// | ujis | EUC-JP | 0xA1C0 reads as `\` (glibc: U+FF3C); the user-defined rows 0xF5-0xFE (two- and three-byte) as the private use area (U+E000-U+E757), which glibc refuses; bytes 0x80-0xA0 outside a character are invalid (glibc passes them as C1 controls) |
/// | eucjpms | EUC-JP-MS | bytes 0x80-0xA0 outside a character are invalid, as for ujis |
/// | euckr | CP949 | none (MySQL's euckr takes CP949's extended codes, which glibc's EUC-KR refuses) |
///
/// One iconv descriptor per charset, opened on first use, used under a lock (a descriptor keeps
/// shift state and is not thread-safe) and closed in `deinit`.
package final class IconvTextConverter: TextConverter, @unchecked Sendable {
    static let iconvNames: [String: String] = [
        "big5": "BIG5", "gbk": "GBK", "gb2312": "GB2312", "gb18030": "GB18030", "sjis": "SJIS", "cp932": "CP932",
        "ujis": "EUC-JP", "eucjpms": "EUC-JP-MS", "euckr": "CP949",
    ]

    private let lock = NSLock()
    private var handles: [String: iconv_t] = [:]
    private var output: [UInt8] = []

    package init() {}

    deinit {
        for handle in handles.values { iconv_close(handle) }
    }

    package func text(_ bytes: UnsafeBufferPointer<UInt8>, charset: String) -> String? {
        // No lead byte, no multi-byte character: ASCII is ASCII in all of these (sjis included).
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        lock.lock()
        defer { lock.unlock() }
        guard let handle = handle(charset) else { return nil }
        let text: String?
        switch charset {
        case "big5": text = walk(bytes, handle, .big5)
        case "ujis": text = walk(bytes, handle, .ujis)
        default: text = convert(UnsafeBufferPointer(rebasing: bytes[...]), handle)
        }
        guard let text else { return nil }
        switch charset {
        case "sjis":
            return text.replacingOccurrences(of: "\u{A5}", with: "\\").replacingOccurrences(of: "\u{203E}", with: "~")
                .replacingOccurrences(of: "\u{FF3C}", with: "\\")
        case "ujis", "eucjpms":
            if text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) { return nil }
            return charset == "ujis" ? text.replacingOccurrences(of: "\u{FF3C}", with: "\\") : text
        default:
            return text
        }
    }

    /// The charsets whose characters are walked one by one for the server's own readings.
    enum Walk {
        case big5, ujis

        /// The character at `i`: its length in bytes and, when the server reads it differently
        /// from glibc, the server's code point (0 = no character: invalid).
        func character(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (length: Int, override: UInt32?) {
            let lead = b[i]
            switch self {
            case .big5:
                guard lead >= 0x81, i + 1 < b.count else { return (1, nil) }
                return (2, Big5Overrides.table[UInt16(lead) << 8 | UInt16(b[i + 1])])
            case .ujis:
                // EUC-JP: 0x8E + 1 byte (half-width katakana), 0x8F + 2 (JIS X 0212), 0xA1-0xFE + 1
                // (JIS X 0208). MySQL maps the user-defined rows 0xF5-0xFE of both planes to the
                // private use area.
                if lead == 0x8E { return (2, nil) }
                if lead == 0x8F {
                    guard i + 2 < b.count, (0xF5...0xFE).contains(b[i + 1]), (0xA1...0xFE).contains(b[i + 2]) else {
                        return (3, nil)
                    }
                    return (3, 0xE3AC + UInt32(b[i + 1] - 0xF5) * 94 + UInt32(b[i + 2] - 0xA1))
                }
                guard lead >= 0xA1, i + 1 < b.count else { return (1, nil) }
                guard lead >= 0xF5, (0xA1...0xFE).contains(b[i + 1]) else { return (2, nil) }
                return (2, 0xE000 + UInt32(lead - 0xF5) * 94 + UInt32(b[i + 1] - 0xA1))
            }
        }
    }

    /// Runs of characters glibc reads as the server does go through iconv whole; the others are
    /// the server's code points.
    private func walk(_ b: UnsafeBufferPointer<UInt8>, _ handle: iconv_t, _ walk: Walk) -> String? {
        var out = ""
        var runStart = 0
        var i = 0
        while i < b.count {
            if b[i] < 0x80 {
                i += 1
                continue
            }
            let (length, override) = walk.character(b, i)
            guard i + length <= b.count else { return nil }
            if let override {
                if runStart < i {
                    guard let run = convert(UnsafeBufferPointer(rebasing: b[runStart..<i]), handle) else { return nil }
                    out += run
                }
                guard override != 0, let scalar = Unicode.Scalar(override) else { return nil }
                out.unicodeScalars.append(scalar)
                runStart = i + length
            }
            i += length
        }
        if runStart < b.count {
            guard let run = convert(UnsafeBufferPointer(rebasing: b[runStart...]), handle) else { return nil }
            out += run
        }
        return out
    }

    /// The whole of `bytes` through iconv, or nil when any of it is invalid or incomplete.
    private func convert(_ bytes: UnsafeBufferPointer<UInt8>, _ handle: iconv_t) -> String? {
        guard let base = bytes.baseAddress else { return "" }
        // Every charset here takes at least 1 byte per character and UTF-8 at most 4; a
        // character of 1 byte (half-width katakana) takes 3 in UTF-8.
        let capacity = bytes.count * 3 + 4
        if output.count < capacity { output = [UInt8](repeating: 0, count: capacity) }
        _ = iconv(handle, nil, nil, nil, nil)
        let produced: Int? = output.withUnsafeMutableBufferPointer { out -> Int? in
            guard let outBase = out.baseAddress else { return nil }
            var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: base)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = bytes.count
            var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBase).assumingMemoryBound(
                to: CChar.self)
            var outLeft = capacity
            guard iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft) != size_t.max, inLeft == 0,
                iconv(handle, nil, nil, &outPointer, &outLeft) != size_t.max
            else { return nil }
            return capacity - outLeft
        }
        guard let produced else { return nil }
        return output.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[0..<produced]), as: UTF8.self)
        }
    }

    private func handle(_ charset: String) -> iconv_t? {
        if let open = handles[charset] { return open }
        guard let name = Self.iconvNames[charset] else { return nil }
        let handle = iconv_open("UTF-8", name)
        guard let handle, handle != iconv_t(bitPattern: -1) else { return nil }
        handles[charset] = handle
        return handle
    }
}
