/// Why a sandbox service could not be started, reached or stopped. `logTail` holds the last lines
/// of the service's own log, so a failure in CI says what the server said.
package struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        case executableNotFound, incompatibleLibrary, spawnFailed, commandFailed, exitedEarly, notReady, noFreePort,
            fileSystem
    }

    package let code: Code
    package let service: String
    package let message: String
    package let logTail: String

    package init(_ code: Code, service: String, message: String, logTail: String = "") {
        self.code = code
        self.service = service
        self.message = message
        self.logTail = logTail
    }

    package var description: String {
        var text = "\(service): \(code.rawValue): \(message)"
        if !logTail.isEmpty {
            text += "\n--- last lines of the \(service) log ---\n\(logTail)"
        }
        return text
    }
}
