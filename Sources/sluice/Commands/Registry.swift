import Ops

/// Every `sluice` subcommand, in the order `sluice --help` lists them.
///
/// How to add a command (e.g. `sluice bench decode`):
/// 1. Put its real logic in a library target (Replication, Binlog, Ops, ...) where tests reach it.
/// 2. Add ONE file here, `Sources/sluice/Commands/BenchDecode.swift`, declaring
///
///        enum BenchDecodeCommand {
///            static let command = Command(
///                "bench decode",                         // words after `sluice`; groups are implied
///                abstract: "Decode a binlog file as fast as possible and report events/s",
///                flags: [.value("iterations", placeholder: "N", help: "passes over the file", default: "3"),
///                        .boolean("json", help: "print the report as JSON")],
///                positionals: [Positional("FILE", help: "binlog file to decode")]
///            ) { invocation in
///                let args = invocation.arguments          // .flag, .value, .values, .integer, .positional
///                // call the library; write results with invocation.console.out(...)
///                return .success                        // throw UsageError(...) for exit 2,
///            }                                          // any other error exits 1 on stderr
///        }
///
/// 3. Add ONE line `BenchDecodeCommand.command,` to `commands` below (and, for a new group, a
///    one-line description to `groups`).
/// `--help` for every command and group, "did you mean", and exit codes come from the framework
/// (`Ops.CommandLineTool`); nothing else needs touching.
enum Registry {
    static let commands: [Command] = [
        ConfigCheckCommand.command,
        BenchRedisApplyCommand.command,
        BinlogDumpCommand.command,
        BenchDecodeCommand.command,
        DRApplyCommand.command,
        StatusCommand.command,
        RunCommand.command,
        DemoCommand.command,
        BenchE2ECommand.command,
        BenchSnapshotCommand.command,
        BenchCatchupCommand.command,
        SnapshotCommand.command,
        VerifyCommand.command,
        ResyncCommand.command,
        FailoverCommand.command,
        RepairAheadCommand.command,
        CheckpointShowCommand.command,
        CheckpointSetCommand.command,
        LedgerCommands.initialize,
        LedgerCommands.recover,
        LedgerCommands.serve,
        JournalShowCommand.command,
        JournalVerifyCommand.command,
        JournalArchiveCommand.command,
        LedgerBenchCommand.command,
    ]

    /// One-line descriptions of command groups, by path.
    static let groups: [String: String] = [
        "config": "Work with the configuration file",
        "bench": "Measure throughput of sluice's parts on this machine",
        "binlog": "Read binlog files",
        "checkpoint": "Show or move the sinks' checkpoints",
        "ledger": "The companion write path: XA transfers across MySQL shards (docs/ledger.md)",
        "journal": "Read, verify and archive the ledger's journal",
    ]

    static let tool = CommandLineTool(
        name: "sluice", version: SluiceVersion.current,
        abstract: "MySQL/MariaDB ROW binlog to version-checked Redis Cluster and Kafka",
        commands: commands, groups: groups, versionDetails: { Libraries.loaded().map(\.line) })
}
