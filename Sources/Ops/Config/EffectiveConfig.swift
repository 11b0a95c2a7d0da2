/// The effective configuration as `config check` prints it: every key the schema read, in schema
/// order, with defaults filled in and secrets masked, rendered back as TOML.
final class EffectiveTable {
    enum Entry {
        /// A value already rendered as TOML (`3306`, `"db"`, `["a", "b"]`).
        case scalar(String)
        case table(EffectiveTable)
        case tables([EffectiveTable])
    }

    private(set) var entries: [(key: String, entry: Entry)] = []

    func append(_ key: String, _ entry: Entry) {
        entries.append((key, entry))
    }

    /// TOML text; `path` is the dotted path of this table ("" for the root).
    func render(path: String = "") -> String {
        var lines: [String] = []
        for (key, entry) in entries {
            if case .scalar(let text) = entry { lines.append("\(TOMLText.key(key)) = \(text)") }
        }
        var text = lines.joined(separator: "\n")
        for (key, entry) in entries {
            let childPath = path.isEmpty ? TOMLText.key(key) : path + "." + TOMLText.key(key)
            switch entry {
            case .scalar: continue
            case .table(let table):
                text += section("[\(childPath)]", table.render(path: childPath))
            case .tables(let tables):
                for table in tables { text += section("[[\(childPath)]]", table.render(path: childPath)) }
            }
        }
        return text
    }

    private func section(_ header: String, _ body: String) -> String {
        // A table holding only sub-tables needs no header of its own.
        body.hasPrefix("\n") ? body : "\n\n\(header)" + (body.isEmpty ? "" : "\n" + body)
    }
}

/// Rendering of values as TOML text.
enum TOMLText {
    static func key(_ key: String) -> String {
        let bare =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
        return bare ? key : string(key)
    }

    static func string(_ text: String) -> String { QuotedString.quote(text) }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
}
