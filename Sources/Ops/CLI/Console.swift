import Foundation

/// Where a command writes: standard output for results, standard error for errors and logs.
/// Injected so tests capture both.
public struct Console: Sendable {
    public let writeOut: @Sendable (String) -> Void
    public let writeErr: @Sendable (String) -> Void

    public init(writeOut: @escaping @Sendable (String) -> Void, writeErr: @escaping @Sendable (String) -> Void) {
        self.writeOut = writeOut
        self.writeErr = writeErr
    }

    /// The process's real standard output and standard error.
    public static func standard() -> Console {
        Console(
            writeOut: { FileHandle.standardOutput.write(Data($0.utf8)) },
            writeErr: { FileHandle.standardError.write(Data($0.utf8)) })
    }

    /// Writes `text` and a newline to standard output.
    public func out(_ text: String) { writeOut(text + "\n") }

    /// Writes `text` and a newline to standard error.
    public func err(_ text: String) { writeErr(text + "\n") }
}
