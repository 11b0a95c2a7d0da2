/// A secret read from the configuration (a password). Printing, interpolating, dumping or
/// reflecting it shows `********`; the value is reached only through `revealed`, on purpose.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package static let mask = "********"

    /// The secret itself, for handing to the library that needs it (never to a log or a message).
    package let revealed: String

    package init(_ revealed: String) {
        self.revealed = revealed
    }

    package var description: String { Self.mask }
    package var debugDescription: String { Self.mask }
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
