import Ops

enum ConfigCheckCommand {
    static let command = Command(
        "config check",
        abstract: "Validate a configuration file and print the effective configuration, secrets masked",
        discussion: """
            Reports every problem (file:line, key path, what is wrong) and exits 2 when there is any;
            otherwise prints the configuration with defaults filled in and exits 0.
            Secrets are resolved (${ENV} substitution, password_file, password_credential from
            $CREDENTIALS_DIRECTORY) so a missing one is reported, but never printed.
            """,
        flags: [.boolean("quiet", help: "print nothing when the file is valid")],
        positionals: [Positional("FILE", help: "the configuration file (TOML)")]
    ) { invocation in
        ConfigCheck.run(
            path: invocation.arguments.positional("FILE") ?? "",
            quiet: invocation.arguments.flag("quiet"),
            environment: invocation.environment, console: invocation.console)
    }
}
