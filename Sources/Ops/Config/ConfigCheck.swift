import Foundation

/// `sluice config check FILE`: validate, then print the effective configuration or every error.
public enum ConfigCheck {
    public static func run(path: String, quiet: Bool, environment: [String: String], console: Console) -> ExitCode {
        let text: String
        do {
            text = String(decoding: try FileReading.read(path), as: UTF8.self)
        } catch {
            console.err(ConfigError(.unreadableConfig, file: path, line: 0, "cannot read the configuration file",
                                    cause: error.reason).description)
            return .usage
        }
        switch TOMLParser.parse(text, file: (path as NSString).lastPathComponent) {
        case .failure(let errors):
            for error in errors.errors { console.err(error.description) }
            console.err("sluice: \(path): \(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")")
            return .usage
        case .success:
            if !quiet { console.out("\(path): ok") }
            return .success
        }
    }
}
