import Foundation

/// Where a command writes: standard output for results, standard error for errors and logs.
/// Injected so tests capture both.
package struct Console: Sendable {
    package let writeOut: @Sendable (String) -> Void
    package let writeErr: @Sendable (String) -> Void

    package init(writeOut: @escaping @Sendable (String) -> Void, writeErr: @escaping @Sendable (String) -> Void) {
        self.writeOut = writeOut
        self.writeErr = writeErr
    }

    /// The process's real standard output and standard error. When standard error is the journal
    /// (`JournalStream`), each of its lines is marked an error (`<3>`): under systemd, what a
    /// command writes there is why it failed.
    package static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> Console {
        let journal = JournalStream.isConnected(environment: environment)
        return Console(
            writeOut: { FileHandle.standardOutput.write(Data($0.utf8)) },
            writeErr: { FileHandle.standardError.write(Data((journal ? errorLines($0) : $0).utf8)) })
    }

    /// `text` with `<3>` before each line.
    static func errorLines(_ text: String) -> String {
        let prefix = JournalStream.prefix(.error)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
            line.isEmpty && index > 0 ? "" : prefix + line
        }.joined(separator: "\n")
    }

    /// Writes `text` and a newline to standard output.
    package func out(_ text: String) { writeOut(text + "\n") }

    /// Writes `text` and a newline to standard error.
    package func err(_ text: String) { writeErr(text + "\n") }
}
