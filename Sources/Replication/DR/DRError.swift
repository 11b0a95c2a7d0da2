/// A DR applier failure: what went wrong, where (`topic[partition]@offset`, a Redis key, a broker),
/// and the underlying cause's text when there is one.
package struct DRError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// A message whose key, headers or change-event JSON cannot be read.
        case badMessage = "bad_message"
        /// Messages missing from a partition (an offset jump, or retention removed unapplied ones).
        case gap = "dr_gap"
        case kafka
        case redis
        /// A stored offset that cannot be read.
        case badOffset = "bad_offset"
        case mapping
        /// The configuration lacks what the applier needs.
        case config
    }

    package var code: Code
    package var message: String
    /// Where: `topic[partition]@offset`, a key, or a component.
    package var place: String
    package var cause: String?

    package init(_ code: Code, _ message: String, place: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.place = place
        self.cause = cause
    }

    package var description: String {
        "\(code.rawValue): \(message) (at \(place))" + (cause.map { ": \($0)" } ?? "")
    }
}
