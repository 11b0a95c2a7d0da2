/// Pieces of the Prometheus text exposition format (version 0.0.4): number formatting and the
/// escaping rules of HELP text and label values.
package enum PrometheusText {
    /// The Content-Type of a rendered registry.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A sample value: integers without a fraction, otherwise Swift's shortest round-trip form
    /// (which Prometheus parses), and `NaN`, `+Inf`, `-Inf`.
    package static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// HELP text: backslash and line feed escaped.
    package static func escapeHelp(_ text: String) -> String {
        escape(text, quote: false)
    }

    /// A label value: backslash, double quote and line feed escaped.
    package static func escapeLabelValue(_ text: String) -> String {
        escape(text, quote: true)
    }

    /// `{a="x",b="y"}` for the given pairs (in their order), or "" for none.
    package static func labelBlock(_ pairs: [(name: String, value: String)]) -> String {
        guard !pairs.isEmpty else { return "" }
        let inner = pairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",")
        return "{\(inner)}"
    }

    private static func escape(_ text: String, quote: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
