import Foundation

/// What validation of one file shares: the file's name and folder, the environment for `${NAME}`
/// and `$CREDENTIALS_DIRECTORY`, and every error found so far.
final class ValidationContext {
    /// Name used in messages (as given on the command line).
    let file: String
    /// Folder that relative paths in the file (password_file, tls.ca) are resolved against.
    let directory: String
    let environment: [String: String]
    private(set) var errors: [ConfigError] = []

    init(file: String, directory: String, environment: [String: String]) {
        self.file = file
        self.directory = directory
        self.environment = environment
    }

    func error(_ code: ConfigError.Code, line: Int, keyPath: String, _ message: String, cause: String? = nil) {
        errors.append(ConfigError(code, file: file, line: line, keyPath: keyPath, message, cause: cause))
    }

    /// Errors in file order (stable for errors on the same line).
    var sortedErrors: [ConfigError] {
        errors.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// `path` made absolute against the configuration file's folder.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    /// Replaces `${NAME}` with the environment variable NAME; `$${` stands for a literal `${`.
    /// Returns nil (after recording the error) when a variable is unset or the syntax is wrong.
    func substitute(_ text: String, line: Int, keyPath: String) -> String? {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[dollar...]
            if after.hasPrefix("$${") {
                out += "${"
                rest = after.dropFirst(3)
            } else if after.hasPrefix("${") {
                guard let close = after.firstIndex(of: "}") else {
                    error(
                        .badValue, line: line, keyPath: keyPath,
                        "unterminated '${' in string (write '$${' for a literal '${')")
                    return nil
                }
                let name = after[after.index(after.startIndex, offsetBy: 2)..<close]
                guard Self.isVariableName(name) else {
                    error(
                        .badValue, line: line, keyPath: keyPath, "'${\(name)}' is not a valid environment variable name"
                    )
                    return nil
                }
                guard let value = environment[String(name)] else {
                    error(
                        .unsetVariable, line: line, keyPath: keyPath,
                        "environment variable \(name) is not set (used as ${\(name)})")
                    return nil
                }
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "$"
                rest = after.dropFirst()
            }
        }
        return out + rest
    }

    private static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic)
                || ("0"..."9").contains($0)
        }
    }
}
