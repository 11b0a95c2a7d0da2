/// `sluice config check FILE`: validate, then print the effective configuration (defaults filled
/// in, secrets masked) on standard output, or every error on standard error.
package enum ConfigCheck {
    package static func run(path: String, quiet: Bool, environment: [String: String], console: Console) -> ExitCode {
        switch SluiceConfig.load(path: path, environment: environment) {
        case .failure(let errors):
            errors.report(to: console)
            return .usage
        case .success(let loaded):
            if !quiet {
                console.out("# \(path): valid. Effective configuration (defaults filled in, secrets masked):\n")
                console.writeOut(loaded.effective)
            }
            return .success
        }
    }
}
