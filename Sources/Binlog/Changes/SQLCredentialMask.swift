/// Masks the credentials in SQL text before sluice logs, exports or forwards it (a statement event's
/// query, a DDL event): `CREATE USER`/`ALTER USER`/`GRANT ... IDENTIFIED BY|AS|USING <literal>`,
/// `IDENTIFIED WITH plugin BY|AS <literal>`, `IDENTIFIED BY PASSWORD <hash>`, `... REPLACE <old>`,
/// `SET PASSWORD [FOR user] = <literal>`, `PASSWORD(<literal>)`, and any `PASSWORD`/`*_PASSWORD`
/// option followed by a literal (`CHANGE MASTER TO MASTER_PASSWORD = ...`, `CHANGE REPLICATION
/// SOURCE TO SOURCE_PASSWORD = ...`, `START REPLICA ... PASSWORD = ...`, `CREATE SERVER ... OPTIONS
/// (PASSWORD ...)`).
///
/// Rules (a pure function: no I/O, no state between calls):
/// - The text is scanned as MySQL tokens: `'..'` and `".."` strings with backslash escapes and
///   doubled quotes, backtick identifiers, `#`, `-- ` and `/* */` comments; the code inside a
///   versioned comment (`/*!80000 ... */`, `/*M!100100 ... */`) is scanned as code.
/// - A literal is a string with an optional introducer (`_utf8mb4'..'`, `N'..'`, `X'..'`, `B'..'`),
///   a hex or bit number (`0x..`, `0b..`), or several adjacent strings (which MySQL concatenates).
/// - A masked literal becomes `'***'`. Everything else is kept byte for byte.
/// - An unterminated string is masked to the end of the text when its context asks for masking: a
///   statement sluice can't tokenise must not leak what follows.
/// - Over-masking is preferred to a leak: a column named `password` compared with a literal is
///   masked too.
package enum SQLCredentialMask {
    /// What replaces a credential literal.
    package static let placeholder = "'***'"

    /// `statement` with every credential literal replaced by ``placeholder``.
    package static func mask(_ statement: String) -> String {
        let bytes = Array(statement.utf8)
        var scanner = SQLTokenScanner(bytes)
        let tokens = scanner.tokens()
        let ranges = credentialRanges(tokens)
        if ranges.isEmpty { return statement }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = 0
        for range in ranges {
            out.append(contentsOf: bytes[at..<range.lowerBound])
            out.append(contentsOf: placeholder.utf8)
            at = range.upperBound
        }
        out.append(contentsOf: bytes[at...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Byte ranges of the literal groups that hold credentials, in order.
    static func credentialRanges(_ tokens: [SQLToken]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var identified = false  // an IDENTIFIED clause was seen in this statement
        var setPassword = false  // the statement is SET PASSWORD
        var setPasswordValue = false  // ... and its `=` was seen
        var statementWords: [String] = []
        var previous: SQLToken?  // the last significant token, skipping `=` and `(`
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            switch token.kind {
            case .literal:
                var end = token.range.upperBound
                while index + 1 < tokens.count, tokens[index + 1].kind == .literal {
                    index += 1
                    end = tokens[index].range.upperBound
                }
                if isCredential(after: previous, identified: identified) || setPasswordValue {
                    ranges.append(token.range.lowerBound..<end)
                }
                previous = token
            case .word(let upper):
                if statementWords.count < 2 {
                    statementWords.append(upper)
                    if statementWords == ["SET", "PASSWORD"] { setPassword = true }
                }
                if upper == "IDENTIFIED" { identified = true }
                previous = token
            case .punctuation(let byte):
                if byte == UInt8(ascii: ";") {
                    identified = false
                    setPassword = false
                    setPasswordValue = false
                    statementWords = []
                    previous = nil
                } else if byte == UInt8(ascii: "=") {
                    if setPassword { setPasswordValue = true }
                } else if byte != UInt8(ascii: "(") {
                    previous = token
                }
            case .identifier, .number:
                previous = token
            }
            index += 1
        }
        return ranges
    }

    private static func isCredential(after previous: SQLToken?, identified: Bool) -> Bool {
        guard case .word(let word)? = previous?.kind else { return false }
        if word == "PASSWORD" || word == "OLD_PASSWORD" || word.hasSuffix("_PASSWORD") { return true }
        return identified && ["BY", "AS", "USING", "REPLACE"].contains(word)
    }
}

/// One MySQL token, as far as credential masking needs: where it is and what kind.
struct SQLToken: Equatable {
    enum Kind: Equatable {
        /// A bare word, upper-cased (keywords, names, unquoted identifiers).
        case word(String)
        /// A string (with its introducer), or a hex/bit literal.
        case literal
        /// A backtick-quoted identifier.
        case identifier
        /// A decimal number.
        case number
        /// One byte of anything else (`=`, `(`, `,`, `@`, `;`, ...).
        case punctuation(UInt8)
    }
    var kind: Kind
    var range: Range<Int>
}

/// Splits SQL text into ``SQLToken``s, dropping whitespace and comments. Works on UTF-8 bytes:
/// every byte it looks for is ASCII, and bytes of multi-byte characters only occur inside words,
/// strings and identifiers.
struct SQLTokenScanner {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func tokens() -> [SQLToken] {
        var result: [SQLToken] = []
        while let token = next() { result.append(token) }
        return result
    }

    private func byte(_ offset: Int) -> UInt8? {
        let i = at + offset
        return i < bytes.count ? bytes[i] : nil
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "$"), 0x80...0xFF:
            return true
        default: return false
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    private mutating func next() -> SQLToken? {
        skipSpaceAndComments()
        guard let b = byte(0) else { return nil }
        let start = at
        if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
            skipQuoted(b, backslash: true)
            return SQLToken(kind: .literal, range: start..<at)
        }
        if b == UInt8(ascii: "`") {
            skipQuoted(b, backslash: false)
            return SQLToken(kind: .identifier, range: start..<at)
        }
        if Self.isWordByte(b) {
            while let c = byte(0), Self.isWordByte(c) { at += 1 }
            let word = String(decoding: bytes[start..<at], as: UTF8.self).uppercased()
            if let quote = byte(0), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\""),
                word.hasPrefix("_") || word == "N" || word == "X" || word == "B"
            {
                skipQuoted(quote, backslash: true)  // an introducer or a prefix: one literal
                return SQLToken(kind: .literal, range: start..<at)
            }
            if word.hasPrefix("0X") || word.hasPrefix("0B") { return SQLToken(kind: .literal, range: start..<at) }
            if let first = word.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
                return SQLToken(kind: .number, range: start..<at)
            }
            return SQLToken(kind: .word(word), range: start..<at)
        }
        at += 1
        return SQLToken(kind: .punctuation(b), range: start..<at)
    }

    /// Skips a quoted run starting at the opening quote; an unterminated one runs to the end.
    private mutating func skipQuoted(_ quote: UInt8, backslash: Bool) {
        at += 1
        while let c = byte(0) {
            if backslash && c == UInt8(ascii: "\\") {
                at = min(at + 2, bytes.count)
            } else if c == quote {
                at += 1
                if byte(0) != quote { return }
                at += 1
            } else {
                at += 1
            }
        }
    }

    private mutating func skipSpaceAndComments() {
        while let b = byte(0) {
            if Self.isSpace(b) {
                at += 1
            } else if b == UInt8(ascii: "#")
                || (b == UInt8(ascii: "-") && byte(1) == UInt8(ascii: "-") && (byte(2).map(Self.isSpace) ?? true))
            {
                while let c = byte(0), c != 0x0A { at += 1 }
            } else if b == UInt8(ascii: "/") && byte(1) == UInt8(ascii: "*") {
                if byte(2) == UInt8(ascii: "!") {
                    at += 3  // versioned comment: its body is code
                    while let c = byte(0), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { at += 1 }
                } else if byte(2) == UInt8(ascii: "M") && byte(3) == UInt8(ascii: "!") {
                    at += 4
                    while let c = byte(0), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { at += 1 }
                } else {
                    at += 2
                    while at < bytes.count, !(byte(0) == UInt8(ascii: "*") && byte(1) == UInt8(ascii: "/")) { at += 1 }
                    at = min(at + 2, bytes.count)
                }
            } else if b == UInt8(ascii: "*") && byte(1) == UInt8(ascii: "/") {
                at += 2  // the end of a versioned comment
            } else {
                return
            }
        }
    }
}
