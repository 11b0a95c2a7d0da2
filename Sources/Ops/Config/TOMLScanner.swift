import Foundation

/// A syntax error inside the TOML scanner: the line and what was wrong. The parser turns it into
/// a `ConfigError` with the file name.
struct TOMLSyntaxError: Error, Equatable {
    let line: Int
    let message: String
}

/// Bounds-checked cursor over the bytes of a TOML file that reads the lexical pieces: keys,
/// strings, numbers, booleans, whitespace, comments and line ends. It counts lines as it goes.
struct TOMLScanner {
    private let bytes: [UInt8]
    private(set) var offset = 0
    private(set) var line = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { offset >= bytes.count }

    func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func advance() {
        guard let byte = peek() else { return }
        offset += 1
        if byte == UInt8(ascii: "\n") { line += 1 }
    }

    func error(_ message: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, message: message) }

    /// Spaces and tabs.
    mutating func skipBlanks() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { advance() }
    }

    /// A comment from `#` to the end of the line (the newline is left).
    mutating func skipComment() throws(TOMLSyntaxError) {
        guard peek() == UInt8(ascii: "#") else { return }
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { break }
            if byte < 0x20 && byte != 0x09 || byte == 0x7F { throw error("control character in comment") }
            advance()
        }
    }

    /// Consumes a line end (`\n` or `\r\n`); returns false when the next byte is not one.
    mutating func skipNewline() -> Bool {
        if peek() == UInt8(ascii: "\n") {
            advance()
            return true
        }
        if peek() == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") {
            advance()
            advance()
            return true
        }
        return false
    }

    /// Blanks, comments and newlines (inside arrays, and between top-level lines).
    mutating func skipBlanksCommentsNewlines() throws(TOMLSyntaxError) {
        while true {
            skipBlanks()
            try skipComment()
            if !skipNewline() { return }
        }
    }

    /// After a key/value pair or a header: blanks, an optional comment, then a line end or the end.
    mutating func expectLineEnd(after what: String) throws(TOMLSyntaxError) {
        skipBlanks()
        try skipComment()
        if atEnd || skipNewline() { return }
        throw error("expected the end of the line after \(what), found \(found())")
    }

    /// Words for the next byte in messages: `'x'`, "the end of the line", "the end of the file".
    func found() -> String {
        guard let byte = peek() else { return "the end of the file" }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "the end of the line" }
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return String(format: "byte 0x%02X", byte)
    }

    // MARK: keys

    private static func isBare(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-")
    }

    /// A possibly dotted key: `a`, `a.b`, `"quoted key".c`.
    mutating func key() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipBlanks()
            parts.append(try simpleKey())
            skipBlanks()
            guard peek() == UInt8(ascii: ".") else { return parts }
            advance()
        }
    }

    private mutating func simpleKey() throws(TOMLSyntaxError) -> String {
        switch peek() {
        case UInt8(ascii: "\""): return try basicString()
        case UInt8(ascii: "'"): return try literalString()
        default:
            let start = offset
            while let byte = peek(), Self.isBare(byte) { advance() }
            guard offset > start else { throw error("expected a key, found \(found())") }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        }
    }

    // MARK: strings

    /// A basic string `"..."` with escapes; the cursor is on the opening quote.
    mutating func basicString() throws(TOMLSyntaxError) -> String {
        let startLine = line
        advance()
        if peek() == UInt8(ascii: "\""), peek(1) == UInt8(ascii: "\"") {
            throw error("multi-line strings (\"\"\") are not supported; use a one-line string with \\n escapes")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw TOMLSyntaxError(line: startLine, message: "unterminated string")
            }
            advance()
            switch byte {
            case UInt8(ascii: "\""):
                return try utf8(out, startLine: startLine)
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            default:
                if byte < 0x20 && byte != 0x09 || byte == 0x7F { throw error("control character in string") }
                out.append(byte)
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(TOMLSyntaxError) {
        guard let byte = peek() else { throw error("unterminated string") }
        advance()
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): 0x09, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C,
        ]
        if let replacement = simple[byte] {
            out.append(replacement)
            return
        }
        let digits: Int
        switch byte {
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            throw error("unknown escape '\\\(Character(Unicode.Scalar(byte)))' in string")
        }
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let hex = peek(), let digit = Self.hexValue(hex) else {
                throw error("\\\(Character(Unicode.Scalar(byte))) escape needs \(digits) hexadecimal digits")
            }
            advance()
            value = value << 4 | UInt32(digit)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error(String(format: "escape \\%@ is not a Unicode scalar value", String(value, radix: 16)))
        }
        out.append(contentsOf: Array(String(scalar).utf8))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A literal string `'...'` (no escapes); the cursor is on the opening quote.
    mutating func literalString() throws(TOMLSyntaxError) -> String {
        let startLine = line
        advance()
        if peek() == UInt8(ascii: "'"), peek(1) == UInt8(ascii: "'") {
            throw error("multi-line strings (''') are not supported")
        }
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw TOMLSyntaxError(line: startLine, message: "unterminated string")
            }
            advance()
            if byte == UInt8(ascii: "'") { return try utf8(out, startLine: startLine) }
            if byte < 0x20 && byte != 0x09 || byte == 0x7F { throw error("control character in string") }
            out.append(byte)
        }
    }

    private func utf8(_ bytes: [UInt8], startLine: Int) throws(TOMLSyntaxError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TOMLSyntaxError(line: startLine, message: "string is not valid UTF-8")
        }
        return text
    }

    // MARK: numbers and booleans

    /// A bare word: number, boolean or a mistake (an unquoted string, a date).
    mutating func bareValue() throws(TOMLSyntaxError) -> TOMLValue.Content {
        let start = offset
        while let byte = peek(),
            Self.isBare(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: ":")
        {
            advance()
        }
        let word = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard !word.isEmpty else { throw error("expected a value, found \(found())") }
        if word == "true" { return .boolean(true) }
        if word == "false" { return .boolean(false) }
        if let content = TOMLNumber.parse(word) { return content }
        if word.contains(":") || word.filter({ $0 == "-" }).count >= 2 && word.first?.isNumber == true {
            throw error("dates and times are not supported; quote the value: \"\(word)\"")
        }
        if word.first?.isNumber == true || word.first == "-" || word.first == "+" {
            throw error("invalid number '\(word)'")
        }
        throw error("expected a value, found '\(word)' (strings need quotes)")
    }
}

/// TOML integers (decimal with `_` separators, `0x`/`0o`/`0b`) and floats.
enum TOMLNumber {
    static func parse(_ word: String) -> TOMLValue.Content? {
        if let integer = integer(word) { return .integer(integer) }
        if let float = float(word) { return .float(float) }
        return nil
    }

    /// Underscores only between two digits.
    private static func stripUnderscores(_ digits: Substring) -> String? {
        guard !digits.isEmpty, digits.first != "_", digits.last != "_", !digits.contains("__") else { return nil }
        return digits.replacingOccurrences(of: "_", with: "")
    }

    private static func integer(_ word: String) -> Int64? {
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where word.hasPrefix(prefix) {
            guard let digits = stripUnderscores(word.dropFirst(2)) else { return nil }
            return Int64(digits, radix: radix)
        }
        var body = Substring(word)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        guard let digits = stripUnderscores(body), digits.allSatisfy(\.isASCIIDigit) else { return nil }
        if digits.count > 1, digits.first == "0" { return nil }
        return Int64(word.first == "-" ? "-" + digits : digits)
    }

    private static func float(_ word: String) -> Double? {
        var body = Substring(word)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        let exponentSplit = body.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false) }
        guard let mantissa = exponentSplit.first, exponentSplit.count <= 2 else { return nil }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, let wholeDigits = stripUnderscores(whole),
            wholeDigits.allSatisfy(\.isASCIIDigit),
            !(wholeDigits.count > 1 && wholeDigits.first == "0")
        else { return nil }
        var text = wholeDigits
        if parts.count == 2 {
            guard let fraction = stripUnderscores(parts[1]), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            text += "." + fraction
        }
        if exponentSplit.count == 2 {
            var exponent = exponentSplit[1]
            var sign = ""
            if let first = exponent.first, first == "+" || first == "-" {
                sign = String(first)
                exponent = exponent.dropFirst()
            }
            guard let digits = stripUnderscores(exponent), digits.allSatisfy(\.isASCIIDigit) else { return nil }
            text += "e" + sign + digits
        }
        guard parts.count == 2 || exponentSplit.count == 2, let value = Double(text) else { return nil }
        return word.first == "-" ? -value : value
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
