/// A Redis key template over column names: `account:{id}` renders as `account:42`. `{{` and `}}`
/// stand for literal braces, so a Redis Cluster hash tag is written `acct:{{{id}}}` -> `acct:{42}`.
package struct KeyTemplate: Sendable, Equatable, CustomStringConvertible {
    package enum Part: Sendable, Equatable {
        case literal(String)
        case column(String)
    }

    package let parts: [Part]
    /// The template as written.
    package let source: String

    package var description: String { source }

    /// Column names used, in order of first appearance.
    package var columns: [String] {
        var seen: [String] = []
        for case .column(let name) in parts where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// The literal text every rendered key starts with ("" when the template starts with a column).
    package var leadingLiteral: String {
        if case .literal(let text)? = parts.first { return text }
        return ""
    }

    /// Whether some row can render a key starting with `prefix`: the leading literal already
    /// starts with it, or a column value right after the literal can complete it.
    package func canProduce(keyStartingWith prefix: String) -> Bool {
        let lead = leadingLiteral
        return lead.hasPrefix(prefix) || prefix.hasPrefix(lead)
    }

    /// The key for one row; nil when `value(column)` has no value for a column the template uses.
    package func render(_ value: (String) -> String?) -> String? {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .column(let name):
                guard let text = value(name) else { return nil }
                out += text
            }
        }
        return out
    }

    package struct ParseError: Error, Sendable, Equatable {
        package let message: String
    }

    package static func parse(_ source: String) -> Result<KeyTemplate, ParseError> {
        var parts: [Part] = []
        var literal = ""
        var characters = source[...]
        while let character = characters.popFirst() {
            switch character {
            case "{" where characters.first == "{":
                characters.removeFirst()
                literal.append("{")
            case "}" where characters.first == "}":
                characters.removeFirst()
                literal.append("}")
            case "{":
                guard let close = characters.firstIndex(of: "}") else {
                    return .failure(
                        ParseError(
                            message: "unclosed '{' in key template \"\(source)\" (write '{{' for a literal brace)"))
                }
                let name = String(characters[..<close])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }) else {
                    return .failure(
                        ParseError(message: "'{\(name)}' in key template \"\(source)\" is not a column name"))
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.column(name))
                characters = characters[characters.index(after: close)...]
            case "}":
                return .failure(
                    ParseError(message: "unmatched '}' in key template \"\(source)\" (write '}}' for a literal brace)"))
            default:
                literal.append(character)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard parts.contains(where: { if case .column = $0 { true } else { false } }) else {
            return .failure(
                ParseError(message: "key template \"\(source)\" uses no {column}, so every row would share one key"))
        }
        return .success(KeyTemplate(parts: parts, source: source))
    }
}

/// The key names sluice keeps its own data under in a Redis cluster: everything starting with
/// `sluice:` (row versions and tombstones `sluice:v:`, checkpoints `sluice:checkpoint:`, DR offsets
/// `sluice:dr:offsets:`, and any later lease or risk data) plus each cluster's configured
/// `checkpoint_prefix`. A mapping's keys must never land there: a row whose key column holds
/// `sluice:v:{victim}` would overwrite another row's version.
package enum KeyNamespace {
    package static let sluicePrefix = "sluice:"

    /// The reserved prefixes of a configuration whose clusters use `checkpointPrefixes`.
    package static func reserved(checkpointPrefixes: [String]) -> [String] {
        var out = [sluicePrefix]
        for p in checkpointPrefixes where !p.isEmpty && !out.contains(p) { out.append(p) }
        return out
    }

    /// The reserved prefix `key` starts with, if any.
    package static func reservedPrefix(of key: [UInt8], in reserved: [String]) -> String? {
        reserved.first { key.starts(with: $0.utf8) }
    }
}
