/// Parses the TOML subset sluice's configuration uses: `[a.b]` tables, `[[a.b]]` arrays of tables,
/// `key = value` with dotted keys, basic and literal strings, integers (with `_`, hex/octal/binary),
/// floats, booleans, arrays (multi-line, trailing comma, comments inside) and one-line inline tables.
/// Not supported, with a clear error: multi-line strings, dates and times, inf/nan.
///
/// A syntax error stops the parse (what follows can't be trusted); duplicate keys and duplicate
/// tables are collected and parsing continues, so one run reports all of them.
package enum TOMLParser {
    /// Parses `text`; `file` names the source in error messages.
    package static func parse(_ text: String, file: String) -> Result<TOMLTable, ConfigErrors> {
        var parser = Parser(scanner: TOMLScanner(Array(text.utf8)), file: file)
        parser.run()
        if parser.errors.isEmpty { return .success(parser.root.freeze()) }
        return .failure(ConfigErrors(parser.errors))
    }
}

/// Mutable table under construction.
private final class TableBuilder {
    enum Origin {
        /// Created as the parent of a header (`[a.b]` creates `a`); a later `[a]` may define it.
        case implicit
        /// Defined by its own `[header]` (or the root).
        case header
        /// Created by a dotted key (`a.b = 1` creates `a`) or an inline table.
        case dotted
    }

    enum Entry {
        case value(TOMLValue)
        case table(TableBuilder)
        case arrayOfTables([TableBuilder], line: Int)
    }

    var keys: [String] = []
    var entries: [String: Entry] = [:]
    var origin: Origin
    let line: Int

    init(origin: Origin, line: Int) {
        self.origin = origin
        self.line = line
    }

    func set(_ key: String, _ entry: Entry) {
        if entries[key] == nil { keys.append(key) }
        entries[key] = entry
    }

    func freeze() -> TOMLTable {
        var frozen: [String: TOMLValue] = [:]
        for (key, entry) in entries {
            switch entry {
            case .value(let value): frozen[key] = value
            case .table(let table): frozen[key] = TOMLValue(.table(table.freeze()), line: table.line)
            case .arrayOfTables(let tables, let line):
                frozen[key] = TOMLValue(
                    .array(tables.map { TOMLValue(.table($0.freeze()), line: $0.line) }), line: line)
            }
        }
        return TOMLTable(keys: keys, entries: frozen, line: line)
    }
}

private struct Parser {
    var scanner: TOMLScanner
    let file: String
    let root = TableBuilder(origin: .header, line: 1)
    var errors: [ConfigError] = []

    init(scanner: TOMLScanner, file: String) {
        self.scanner = scanner
        self.file = file
    }

    mutating func run() {
        var current = root
        do {
            while true {
                try scanner.skipBlanksCommentsNewlines()
                guard let byte = scanner.peek() else { return }
                if byte == UInt8(ascii: "[") {
                    current = try header()
                } else {
                    try keyValue(into: current)
                    try scanner.expectLineEnd(after: "a value")
                }
            }
        } catch {
            errors.append(ConfigError(.syntax, file: file, line: error.line, error.message))
        }
    }

    private func render(_ path: [String]) -> String {
        path.map { part in
            part.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) && !part.isEmpty
                ? part : "\"\(part)\""
        }.joined(separator: ".")
    }

    /// `[a.b]` or `[[a.b]]`; returns the table that following keys go into.
    private mutating func header() throws(TOMLSyntaxError) -> TableBuilder {
        let line = scanner.line
        scanner.advance()
        let isArray = scanner.peek() == UInt8(ascii: "[")
        if isArray { scanner.advance() }
        let path = try scanner.key()
        for _ in 0..<(isArray ? 2 : 1) {
            guard scanner.peek() == UInt8(ascii: "]") else {
                throw scanner.error("expected ']' to close the table header, found \(scanner.found())")
            }
            scanner.advance()
        }
        try scanner.expectLineEnd(after: "a table header")
        let name = isArray ? "[[\(render(path))]]" : "[\(render(path))]"
        // Walk to the parent of the last key, creating implicit tables.
        var table = root
        for (depth, part) in path.dropLast().enumerated() {
            switch table.entries[part] {
            case nil:
                let child = TableBuilder(origin: .implicit, line: line)
                table.set(part, .table(child))
                table = child
            case .table(let child)?:
                table = child
            case .arrayOfTables(let tables, _)?:
                guard let last = tables.last else { return discard(line: line) }
                table = last
            case .value(let value)?:
                duplicateTable(
                    line: line, path: render(Array(path[...depth])),
                    "\(name): '\(render(Array(path[...depth])))' is already a value (line \(value.line))")
                return discard(line: line)
            }
        }
        let last = path[path.count - 1]
        let existing = table.entries[last]
        if isArray {
            switch existing {
            case nil:
                let child = TableBuilder(origin: .header, line: line)
                table.set(last, .arrayOfTables([child], line: line))
                return child
            case .arrayOfTables(let tables, let firstLine)?:
                let child = TableBuilder(origin: .header, line: line)
                table.set(last, .arrayOfTables(tables + [child], line: firstLine))
                return child
            case .table(let other)?:
                duplicateTable(
                    line: line, path: render(path), "\(name): already defined as a table (line \(other.line))")
            case .value(let value)?:
                duplicateTable(
                    line: line, path: render(path), "\(name): already defined as a value (line \(value.line))")
            }
            return discard(line: line)
        }
        switch existing {
        case nil:
            let child = TableBuilder(origin: .header, line: line)
            table.set(last, .table(child))
            return child
        case .table(let other)? where other.origin == .implicit:
            other.origin = .header
            return other
        case .table(let other)?:
            duplicateTable(
                line: line, path: render(path), "duplicate table \(name) (first defined on line \(other.line))")
        case .arrayOfTables(_, let firstLine)?:
            duplicateTable(
                line: line, path: render(path), "\(name): already defined as an array of tables (line \(firstLine))")
        case .value(let value)?:
            duplicateTable(line: line, path: render(path), "\(name): already defined as a value (line \(value.line))")
        }
        return discard(line: line)
    }

    /// A throw-away table for the keys under a rejected header, so parsing continues.
    private func discard(line: Int) -> TableBuilder { TableBuilder(origin: .header, line: line) }

    private mutating func duplicateTable(line: Int, path: String, _ message: String) {
        errors.append(ConfigError(.duplicateTable, file: file, line: line, keyPath: path, message))
    }

    /// `key = value` (key possibly dotted) into `table`.
    private mutating func keyValue(into table: TableBuilder) throws(TOMLSyntaxError) {
        let line = scanner.line
        let path = try scanner.key()
        guard scanner.peek() == UInt8(ascii: "=") else {
            throw scanner.error("expected '=' after key '\(render(path))', found \(scanner.found())")
        }
        scanner.advance()
        scanner.skipBlanks()
        let value: TOMLValue
        do {
            value = try self.value()
        } catch
            where path.last.map(Self.holdsSecret) == true && error.message.contains(where: { $0 == "'" || $0 == "\"" })
        {
            // Never echo a fragment of a password into an error message.
            throw TOMLSyntaxError(
                line: error.line, message: "invalid value for '\(render(path))' (not shown: it holds a secret)")
        }
        var target = table
        for (depth, part) in path.dropLast().enumerated() {
            switch target.entries[part] {
            case nil:
                let child = TableBuilder(origin: .dotted, line: line)
                target.set(part, .table(child))
                target = child
            case .table(let child)? where child.origin == .dotted:
                target = child
            default:
                errors.append(
                    ConfigError(
                        .duplicateKey, file: file, line: line, keyPath: render(path),
                        "'\(render(Array(path[...depth])))' is already defined and cannot take dotted keys"))
                return
            }
        }
        let last = path[path.count - 1]
        if let existing = target.entries[last] {
            let firstLine: Int
            switch existing {
            case .value(let value): firstLine = value.line
            case .table(let child): firstLine = child.line
            case .arrayOfTables(_, let line): firstLine = line
            }
            errors.append(
                ConfigError(
                    .duplicateKey, file: file, line: line, keyPath: render(path),
                    "duplicate key (first set on line \(firstLine))"))
            return
        }
        if case .table(let inline) = value.content {
            target.set(last, .table(builder(from: inline, line: value.line)))
        } else {
            target.set(last, .value(value))
        }
    }

    /// Keys whose values are secrets (`password`, `sasl_password`, `token`, ...).
    private static func holdsSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "token"].contains { lowered.contains($0) }
            && !lowered.hasSuffix("_file") && !lowered.hasSuffix("_credential")
    }

    private func builder(from table: TOMLTable, line: Int) -> TableBuilder {
        let built = TableBuilder(origin: .header, line: line)
        for key in table.keys {
            if let value = table[key] { built.set(key, .value(value)) }
        }
        return built
    }

    private mutating func value() throws(TOMLSyntaxError) -> TOMLValue {
        let line = scanner.line
        switch scanner.peek() {
        case UInt8(ascii: "\"")?: return TOMLValue(.string(try scanner.basicString()), line: line)
        case UInt8(ascii: "'")?: return TOMLValue(.string(try scanner.literalString()), line: line)
        case UInt8(ascii: "[")?: return try array()
        case UInt8(ascii: "{")?: return try inlineTable()
        case nil, UInt8(ascii: "\n")?, UInt8(ascii: "\r")?, UInt8(ascii: "#")?:
            throw scanner.error("expected a value after '='")
        default: return TOMLValue(try scanner.bareValue(), line: line)
        }
    }

    private mutating func array() throws(TOMLSyntaxError) -> TOMLValue {
        let line = scanner.line
        scanner.advance()
        var elements: [TOMLValue] = []
        while true {
            try scanner.skipBlanksCommentsNewlines()
            if scanner.peek() == UInt8(ascii: "]") {
                scanner.advance()
                return TOMLValue(.array(elements), line: line)
            }
            if scanner.atEnd { throw TOMLSyntaxError(line: line, message: "unterminated array") }
            elements.append(try value())
            try scanner.skipBlanksCommentsNewlines()
            switch scanner.peek() {
            case UInt8(ascii: ",")?: scanner.advance()
            case UInt8(ascii: "]")?: continue
            case nil: throw TOMLSyntaxError(line: line, message: "unterminated array")
            default: throw scanner.error("expected ',' or ']' in array, found \(scanner.found())")
            }
        }
    }

    /// `{ a = 1, b.c = "x" }` on one line.
    private mutating func inlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        let line = scanner.line
        scanner.advance()
        let table = TableBuilder(origin: .dotted, line: line)
        scanner.skipBlanks()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.advance()
            return TOMLValue(.table(table.freeze()), line: line)
        }
        while true {
            try keyValue(into: table)
            scanner.skipBlanks()
            switch scanner.peek() {
            case UInt8(ascii: ",")?:
                scanner.advance()
                scanner.skipBlanks()
            case UInt8(ascii: "}")?:
                scanner.advance()
                return TOMLValue(.table(table.freeze()), line: line)
            default:
                throw scanner.error("expected ',' or '}' in inline table, found \(scanner.found())")
            }
        }
    }
}
