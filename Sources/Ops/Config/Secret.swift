/// A secret read from the configuration (a password). Printing, interpolating, dumping or
/// reflecting it shows `********`; the value is reached only through `revealed`, on purpose.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let mask = "********"

    /// The secret itself, for handing to the library that needs it (never to a log or a message).
    public let revealed: String

    public init(_ revealed: String) {
        self.revealed = revealed
    }

    public var description: String { Self.mask }
    public var debugDescription: String { Self.mask }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
