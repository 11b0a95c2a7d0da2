/// An amount of money in minor units (cents for scale 2), parsed from exact decimal text.
///
/// Rules (the API's `amount` field): digits, optionally one `.` followed by at most `scale`
/// digits; no sign, exponent, spaces or thousands separators; greater than zero; at most 18
/// integer digits. `"12.5"` at scale 2 is 1250; `"12.345"` at scale 2 is refused (over-precise),
/// never rounded.
package struct Amount: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    package let minorUnits: Int64
    package let scale: Int

    package init(minorUnits: Int64, scale: Int) {
        self.minorUnits = minorUnits
        self.scale = scale
    }

    package enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case notDecimal(String)
        case overPrecise(String, scale: Int)
        case notPositive(String)
        case tooLarge(String)

        package var description: String {
            switch self {
            case .empty: return "the amount is empty"
            case .notDecimal(let t): return "\"\(t)\" is not a decimal number (digits and at most one '.')"
            case .overPrecise(let t, let scale): return "\"\(t)\" has more than \(scale) decimal places"
            case .notPositive(let t): return "\"\(t)\" is not greater than zero"
            case .tooLarge(let t): return "\"\(t)\" is too large"
            }
        }
    }

    package static func parse(_ text: String, scale: Int) throws(ParseError) -> Amount {
        guard !text.isEmpty else { throw .empty }
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty,
            whole.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        else { throw .notDecimal(text) }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .notDecimal(text)
        }
        guard fraction.count <= scale else { throw .overPrecise(text, scale: scale) }
        guard whole.count <= 18 else { throw .tooLarge(text) }
        let digits = String(whole) + String(fraction) + String(repeating: "0", count: scale - fraction.count)
        guard let value = Int64(digits) else { throw .tooLarge(text) }
        guard value > 0 else { throw .notPositive(text) }
        return Amount(minorUnits: value, scale: scale)
    }

    /// Exact decimal text of `minor` minor units at `scale` (a balance may be zero or negative).
    package static func text(minor: Int64, scale: Int) -> String {
        guard scale > 0 else { return String(minor) }
        let negative = minor < 0
        let magnitude = String(minor.magnitude)
        let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
        let cut = padded.index(padded.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }

    package var description: String { Self.text(minor: minorUnits, scale: scale) }

    package static func < (a: Amount, b: Amount) -> Bool { a.minorUnits < b.minorUnits }
}
