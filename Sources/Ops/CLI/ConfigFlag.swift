extension Flag {
    /// The standard `--config FILE` flag of every command that reads the configuration file.
    package static let config = Flag.value(
        "config", placeholder: "FILE", help: "the configuration file", default: "/etc/sluice/sluice.toml")
}

extension Invocation {
    /// Loads and validates the file named by `--config` (`Flag.config`), with this invocation's
    /// environment for `${NAME}` and `$CREDENTIALS_DIRECTORY`. Thrown errors make the tool print
    /// every problem and exit 2.
    package func loadConfig() throws(ConfigErrors) -> SluiceConfig {
        let path = arguments.value(Flag.config.name) ?? Flag.config.defaultValue ?? ""
        switch SluiceConfig.load(path: path, environment: environment) {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw errors
        }
    }
}

extension ConfigErrors {
    /// Writes every error (one per line) and a count to standard error.
    func report(to console: Console) {
        for error in errors { console.err(error.description) }
        let files = Set(errors.map(\.file)).sorted().joined(separator: ", ")
        console.err("sluice: \(errors.count) error\(errors.count == 1 ? "" : "s") in the configuration (\(files))")
    }
}
