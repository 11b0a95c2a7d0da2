/// A parsed JSON value that remembers its exact source text (`raw`), so a document embedded in a
/// change event (a MySQL JSON column, a float's shortest text) is written back byte for byte.
/// The parser is bounds-checked on every byte and nests at most `maxDepth` levels.
struct JSONNode: Sendable, Equatable {
    enum Content: Sendable, Equatable {
        case null
        case bool(Bool)
        /// A number: its text is `raw`.
        case number
        case string(String)
        case array([JSONNode])
        case object([(String, JSONNode)])

        static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case (.null, .null), (.number, .number): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.string(let x), .string(let y)): return x == y
            case (.array(let x), .array(let y)): return x == y
            case (.object(let x), .object(let y)):
                return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            default: return false
            }
        }
    }

    var content: Content
    var raw: String

    static let maxDepth = 64

    /// The member `name` of an object (nil for other values or a missing member).
    subscript(name: String) -> JSONNode? {
        guard case .object(let members) = content else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// Parses one complete JSON text (whitespace around it allowed, nothing else).
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        var parser = JSONParser(bytes: bytes)
        let node = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.error("trailing bytes after the JSON value") }
        return node
    }
}

/// Why a JSON text did not parse, and at which byte offset.
struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "JSON syntax error at byte \(offset): \(message)" }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(message: message, offset: index) }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { index += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONNode {
        guard depth <= JSONNode.maxDepth else { throw error("nested deeper than \(JSONNode.maxDepth) levels") }
        skipSpace()
        let start = index
        let content: JSONNode.Content
        switch peek {
        case nil: throw error("unexpected end of input")
        case UInt8(ascii: "{"):
            index += 1
            var members: [(String, JSONNode)] = []
            skipSpace()
            if peek == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipSpace()
                    let name = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    members.append((name, try value(depth: depth + 1)))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    break
                }
            }
            content = .object(members)
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONNode] = []
            skipSpace()
            if peek == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if peek == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    break
                }
            }
            content = .array(items)
        case UInt8(ascii: "\""):
            content = .string(try string())
        case UInt8(ascii: "t"): try literal("true"); content = .bool(true)
        case UInt8(ascii: "f"): try literal("false"); content = .bool(false)
        case UInt8(ascii: "n"): try literal("null"); content = .null
        default:
            try number()
            content = .number
        }
        return JSONNode(content: content, raw: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    mutating func literal(_ word: String) throws(JSONSyntaxError) {
        for b in word.utf8 {
            guard peek == b else { throw error("expected \(word)") }
            index += 1
        }
    }

    mutating func digits() -> Int {
        let start = index
        while let b = peek, b >= 0x30, b <= 0x39 { index += 1 }
        return index - start
    }

    mutating func number() throws(JSONSyntaxError) {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard digits() > 0 else { throw error("expected a value") }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("expected exponent digits") }
        }
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let b = peek else { throw error("unexpected end of input in \\u escape") }
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw error("bad hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while true {
            guard let b = peek else { throw error("unterminated string") }
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw error("unterminated escape") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800, code < 0xDC00 {
                        try expect(UInt8(ascii: "\\"))
                        try expect(UInt8(ascii: "u"))
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw error("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("unknown escape")
                }
            case 0x00..<0x20: throw error("control character in string")
            default: out.append(b)
            }
        }
    }
}
