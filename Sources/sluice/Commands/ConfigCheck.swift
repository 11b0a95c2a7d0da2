import MySQLSource
import Ops
import Replication

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
        flags: [
            .boolean("quiet", help: "print nothing when the file is valid"),
            .boolean(
                "source",
                help: "also check the [[mapping]] Kafka column keys against the tables on the [source] server (exit 1 when "
                    + "it can't be reached)"),
        ],
        positionals: [Positional("FILE", help: "the configuration file (TOML)")]
    ) { invocation in
        let path = invocation.arguments.positional("FILE") ?? ""
        let code = ConfigCheck.run(
            path: path, quiet: invocation.arguments.flag("quiet"), environment: invocation.environment,
            console: invocation.console)
        guard code == .success, invocation.arguments.flag("source"),
            case .success(let loaded) = SluiceConfig.load(path: path, environment: invocation.environment)
        else { return code }
        return checkKafkaColumns(loaded.config, path: path, console: invocation.console)
    }

    /// Reads each table whose mapping has Kafka column keys from the source and reports the
    /// columns it lacks (exit 2), or that the source can't be reached (exit 1).
    static func checkKafkaColumns(_ config: SluiceConfig, path: String, console: Console) -> ExitCode {
        let tables = config.mappings.filter {
            !$0.kafkaExcludeColumns.isEmpty || !$0.kafkaMaskColumns.isEmpty || !$0.kafkaKeyColumns.isEmpty
        }
        guard let source = config.source, !tables.isEmpty else { return .success }
        var problems: [String] = []
        do {
            let connection = try MySQLConnection(MySQLEndpoint(config: source))
            for m in tables {
                let schema = try SchemaCache.read(TableName(m.database, m.table), on: connection)
                problems += KafkaColumnRules.unknownColumns(in: m, tableColumns: schema.columns).map {
                    "\(path):\(m.line): mapping[\(m.index)].\($0)"
                }
            }
        } catch {
            console.err("\(path): cannot check the Kafka column keys against the source: \(error)")
            return .failure
        }
        for p in problems { console.err(p) }
        return problems.isEmpty ? .success : .usage
    }
}
