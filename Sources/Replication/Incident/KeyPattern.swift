import Ops

/// The keys a key template can render, for finding keys without a row: the SCAN `MATCH` glob
/// (literals escaped, each column a `*`) and the reverse of rendering, which splits a key into
/// the texts of its key columns (each column ends at the first occurrence of the literal after
/// it). A key whose split is ambiguous (a column value containing the next literal) may come out
/// wrong; such a key is looked up, not found, and re-checked before it is reported.
package struct KeyPattern: Sendable, Equatable {
    package let template: KeyTemplate

    package init(_ template: KeyTemplate) { self.template = template }

    /// Characters of literals in the template (the more, the more specific).
    package var literalLength: Int {
        template.parts.reduce(0) { n, p in if case .literal(let t) = p { return n + t.count } else { return n } }
    }

    package var glob: String {
        var out = ""
        var wildcard = false
        for part in template.parts {
            switch part {
            case .literal(let text):
                for ch in text {
                    if "*?[]\\".contains(ch) { out.append("\\") }
                    out.append(ch)
                }
                wildcard = false
            case .column:
                if !wildcard { out.append("*") }
                wildcard = true
            }
        }
        return out
    }

    /// Column name -> text, nil when `key` is not of this template (or a column is repeated
    /// with different texts).
    package func split(_ key: String) -> [String: String]? {
        var rest = Substring(key)
        var out: [String: String] = [:]
        var parts = template.parts[...]
        while let part = parts.popFirst() {
            switch part {
            case .literal(let text):
                guard rest.hasPrefix(text) else { return nil }
                rest = rest.dropFirst(text.count)
            case .column(let name):
                let value: Substring
                if case .literal(let next)? = parts.first {
                    guard let r = rest.range(of: next) else { return nil }
                    value = rest[..<r.lowerBound]
                    rest = rest[r.lowerBound...]
                } else if parts.isEmpty {
                    value = rest
                    rest = ""
                } else {
                    return nil  // two adjacent columns: no boundary to split at
                }
                if let seen = out[name], seen != String(value) { return nil }
                out[name] = String(value)
            }
        }
        return rest.isEmpty ? out : nil
    }
}
