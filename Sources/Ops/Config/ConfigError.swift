/// A configuration problem with its place: file, line and key path, e.g.
/// `sluice.toml:12: source.port: expected an integer, got string "x"`.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// The file is not valid TOML (of the subset sluice reads).
        case syntax
        /// A key set twice in one table.
        case duplicateKey
        /// A `[table]` header given twice, or a key redefined as a table.
        case duplicateTable
        /// A key the schema does not know.
        case unknownKey
        /// A value of the wrong TOML type.
        case wrongType
        /// A required key (or table) absent.
        case missingRequired
        /// A value of the right type outside what is allowed (range, enum, format, regex, template).
        case badValue
        /// `${NAME}` names an unset environment variable.
        case unsetVariable
        /// A `password_file` (or other referenced file) that cannot be read.
        case unreadableFile
        /// A systemd credential that is absent, or no `$CREDENTIALS_DIRECTORY`.
        case missingCredential
        /// The configuration file itself cannot be read.
        case unreadableConfig
    }

    package let code: Code
    package let file: String
    /// 1-based line; 0 when the problem concerns the whole file.
    package let line: Int
    /// Dotted key path ("source.port", "mapping[2].key"), empty when none applies.
    package let keyPath: String
    package let message: String
    /// The underlying cause in words (an OS error), kept for the message.
    package let cause: String?

    package init(_ code: Code, file: String, line: Int, keyPath: String = "", _ message: String, cause: String? = nil) {
        self.code = code
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
        self.cause = cause
    }

    package var description: String {
        var text = line > 0 ? "\(file):\(line): " : "\(file): "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += message
        if let cause { text += ": \(cause)" }
        return text
    }
}

/// Every problem found in one configuration file, in file order. Exit code 2.
package struct ConfigErrors: ExitCodeError, Sendable, Equatable, CustomStringConvertible {
    package let errors: [ConfigError]
    package var exitCode: ExitCode { .usage }

    package init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
