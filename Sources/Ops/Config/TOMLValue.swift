/// A value read from a TOML file, with the line it starts on.
package struct TOMLValue: Sendable, Equatable {
    package enum Content: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    package let content: Content
    /// 1-based line the value starts on.
    package let line: Int

    package init(_ content: Content, line: Int) {
        self.content = content
        self.line = line
    }

    /// The TOML type name used in messages ("string", "integer", "array", ...).
    package var typeName: String {
        switch content {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        case .table: "table"
        }
    }

    /// The value as written in TOML, for messages: `string "x"`, `integer 5`, `array`.
    package var described: String {
        switch content {
        case .string(let text): "string \"\(text)\""
        case .integer(let number): "integer \(number)"
        case .float(let number): "float \(number)"
        case .boolean(let flag): "boolean \(flag)"
        case .array: "array"
        case .table: "table"
        }
    }
}

/// A TOML table: keys in the order they appear, with the line of the header (or first key) that
/// created the table.
package struct TOMLTable: Sendable, Equatable {
    package let keys: [String]
    let entries: [String: TOMLValue]
    package let line: Int

    package init(keys: [String], entries: [String: TOMLValue], line: Int) {
        self.keys = keys
        self.entries = entries
        self.line = line
    }

    package subscript(key: String) -> TOMLValue? { entries[key] }
}
