import XCTest

@testable import Ops

final class CommandLineToolTests: XCTestCase {
    /// A tool with a nested group, a command with every kind of flag, and one that fails.
    private func makeTool(record: @escaping @Sendable (ParsedArguments) -> Void = { _ in }) -> CommandLineTool {
        CommandLineTool(
            name: "sluice", version: "9.9.9", abstract: "test tool",
            commands: [
                Command(
                    "config check", abstract: "check a file",
                    flags: [.boolean("quiet", help: "say nothing")],
                    positionals: [Positional("FILE", help: "the file")]
                ) { invocation in
                    record(invocation.arguments)
                    invocation.console.out("checked \(invocation.arguments.positional("FILE") ?? "-")")
                    return .success
                },
                Command(
                    "bench redis-apply", abstract: "apply rows",
                    flags: [
                        .value("rows", placeholder: "N", help: "row count", default: "100"),
                        .value("table", placeholder: "NAME", help: "table", repeatable: true),
                        .value("cluster", placeholder: "NAME", help: "cluster"),
                        .boolean("json", help: "json output"),
                    ],
                    positionals: [Positional("EXTRA", help: "extra words", arity: .variadic)]
                ) { invocation in
                    record(invocation.arguments)
                    _ = try invocation.arguments.integer("rows")
                    return .success
                },
                Command("status", abstract: "show status") { _ in
                    struct Down: Error, CustomStringConvertible { var description: String { "redis is down" } }
                    throw Down()
                },
            ],
            groups: ["bench": "benchmarks"])
    }

    private func run(_ tool: CommandLineTool, _ arguments: [String]) async -> (ExitCode, ConsoleCapture) {
        let capture = ConsoleCapture()
        let code = await tool.run(arguments, console: capture.console, environment: [:])
        return (code, capture)
    }

    func testRegistryIsConsistent() {
        XCTAssertEqual(makeTool().registryProblems, [])
        let broken = CommandLineTool(
            name: "x", version: "1", abstract: "",
            commands: [
                Command("a", abstract: "") { _ in .success }, Command("a b", abstract: "") { _ in .success },
                Command("c", abstract: "") { _ in .success }, Command("c", abstract: "") { _ in .success },
            ])
        XCTAssertEqual(
            broken.registryProblems,
            ["command 'c' is registered twice", "'a' is both a command and a group of commands"])
    }

    func testVersionAndHelp() async {
        let tool = makeTool()
        var (code, capture) = await run(tool, ["--version"])
        XCTAssertEqual(code, .success)
        XCTAssertEqual(capture.out, "sluice 9.9.9\n")

        (code, capture) = await run(tool, ["--help"])
        XCTAssertEqual(code, .success)
        XCTAssertTrue(capture.out.contains("Usage: sluice <command> [options]"), capture.out)
        XCTAssertTrue(capture.out.contains("  config  "), capture.out)
        XCTAssertTrue(capture.out.contains("bench   benchmarks"), capture.out)
        XCTAssertTrue(capture.out.contains("status  show status"), capture.out)
        XCTAssertEqual(capture.err, "")

        (code, capture) = await run(tool, ["bench", "redis-apply", "--help"])
        XCTAssertEqual(code, .success)
        XCTAssertTrue(
            capture.out.hasPrefix("apply rows\n\nUsage: sluice bench redis-apply [options] [EXTRA ...]"), capture.out)
        XCTAssertTrue(capture.out.contains("--rows N"), capture.out)
        XCTAssertTrue(capture.out.contains("row count (default: 100)"), capture.out)
        XCTAssertTrue(capture.out.contains("table (repeatable)"), capture.out)

        (code, capture) = await run(tool, ["bench", "-h"])
        XCTAssertEqual(code, .success)
        XCTAssertTrue(capture.out.contains("redis-apply  apply rows"), capture.out)
    }

    func testNoArgumentsPrintsHelpToStderrWithUsageExit() async {
        let (code, capture) = await run(makeTool(), [])
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(capture.out, "")
        XCTAssertTrue(capture.err.contains("Commands:"))
    }

    func testUnknownSubcommandSuggests() async {
        var (code, capture) = await run(makeTool(), ["confg", "check", "x"])
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(capture.out, "")
        XCTAssertTrue(
            capture.err.hasPrefix(
                "sluice: error: unknown command 'confg' for 'sluice'; did you mean 'config'?\nUsage: sluice <command> [options]\n"
            ),
            capture.err)

        (code, capture) = await run(makeTool(), ["bench", "redis-aply"])
        XCTAssertEqual(code, .usage)
        XCTAssertTrue(
            capture.err.hasPrefix(
                "sluice: error: unknown command 'redis-aply' for 'sluice bench'; did you mean 'redis-apply'?"),
            capture.err)

        (code, capture) = await run(makeTool(), ["frobnicate"])
        XCTAssertEqual(code, .usage)
        XCTAssertTrue(capture.err.hasPrefix("sluice: error: unknown command 'frobnicate' for 'sluice'\n"), capture.err)

        (code, capture) = await run(makeTool(), ["bench"])
        XCTAssertEqual(code, .usage)
        XCTAssertTrue(capture.err.hasPrefix("sluice: error: missing subcommand for 'sluice bench'\n"), capture.err)

        (code, capture) = await run(makeTool(), ["--verison"])
        XCTAssertEqual(code, .usage)
        XCTAssertTrue(
            capture.err.hasPrefix("sluice: error: unknown flag '--verison'; did you mean '--version'?"), capture.err)
    }

    func testUnknownFlagSuggests() async {
        let (code, capture) = await run(makeTool(), ["config", "check", "--quite", "f.toml"])
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(
            capture.err,
            """
            sluice: error: unknown flag '--quite'; did you mean '--quiet'?
            Usage: sluice config check [options] FILE
            Run 'sluice config check --help' for its options.

            """)
    }

    func testFlagForms() async {
        let seen = Captured()
        let tool = makeTool { seen.set($0) }
        let (code, capture) = await run(
            tool,
            [
                "bench", "redis-apply", "--rows=5", "--table", "a", "a1", "--table=b", "--json", "--cluster", "--x",
                "--",
                "--not-a-flag", "-",
            ])
        XCTAssertEqual(code, .success, capture.err)
        let arguments = try? XCTUnwrap(seen.get())
        XCTAssertEqual(arguments?.value("rows"), "5")
        XCTAssertEqual(arguments?.values("table"), ["a", "b"])
        XCTAssertEqual(arguments?.value("cluster"), "--x", "a value flag takes the next word as is")
        XCTAssertEqual(arguments?.flag("json"), true)
        XCTAssertEqual(arguments?.variadic("EXTRA"), ["a1", "--not-a-flag", "-"])
    }

    func testDefaultsAndBooleanForms() async {
        let seen = Captured()
        let tool = makeTool { seen.set($0) }
        var (code, _) = await run(tool, ["bench", "redis-apply", "--json=false"])
        XCTAssertEqual(code, .success)
        XCTAssertEqual(seen.get()?.value("rows"), "100")
        XCTAssertEqual(seen.get()?.flag("json"), false)
        XCTAssertEqual(seen.get()?.value("cluster"), nil)

        var capture: ConsoleCapture
        (code, capture) = await run(tool, ["bench", "redis-apply", "--json=yes"])
        XCTAssertEqual(code, .usage)
        XCTAssertTrue(
            capture.err.hasPrefix("sluice: error: --json is a switch and takes no value (got 'yes')"), capture.err)
    }

    func testUsageErrors() async {
        let tool = makeTool()
        let cases: [([String], String)] = [
            (["config", "check"], "missing argument FILE"),
            (["config", "check", "a", "b"], "unexpected argument 'b'"),
            (["bench", "redis-apply", "--rows"], "--rows needs a value (N)"),
            (["bench", "redis-apply", "--rows", "1", "--rows", "2"], "--rows given more than once"),
            (["bench", "redis-apply", "--rows", "many"], "--rows: expected an integer, got 'many'"),
            (["bench", "redis-apply", "-x"], "unknown flag '-x'"),
        ]
        for (arguments, message) in cases {
            let (code, capture) = await run(tool, arguments)
            XCTAssertEqual(code, .usage, "\(arguments)")
            XCTAssertTrue(
                capture.err.hasPrefix("sluice: error: \(message)\nUsage: sluice "), "\(arguments): \(capture.err)")
        }
    }

    func testHelpAfterDoubleDashIsAnArgument() async {
        let (code, capture) = await run(makeTool(), ["config", "check", "--", "--help"])
        XCTAssertEqual(code, .success)
        XCTAssertEqual(capture.out, "checked --help\n")
    }

    func testRuntimeFailureExitsOneOnStderr() async {
        let (code, capture) = await run(makeTool(), ["status"])
        XCTAssertEqual(code, .failure)
        XCTAssertEqual(capture.out, "")
        XCTAssertEqual(capture.err, "sluice: error: redis is down\n")
    }

    func testEditDistance() {
        XCTAssertEqual(Suggestions.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestions.editDistance("", "abc"), 3)
        XCTAssertEqual(Suggestions.editDistance("port", "port"), 0)
        XCTAssertEqual(Suggestions.closest(to: "prot", in: ["host", "port", "socket"]), "port")
        XCTAssertNil(Suggestions.closest(to: "zzzz", in: ["host", "port"]))
    }
}

/// Thread-safe box for the arguments a command saw.
private final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var value: ParsedArguments?
    func set(_ arguments: ParsedArguments) { lock.withLock { value = arguments } }
    func get() -> ParsedArguments? { lock.withLock { value } }
}

final class ConfigFlagTests: ConfigTestCase {
    private func tool(_ seen: @escaping @Sendable (SluiceConfig) -> Void) -> CommandLineTool {
        CommandLineTool(
            name: "sluice", version: "1", abstract: "",
            commands: [
                Command("run", abstract: "run the daemon", flags: [.config]) { invocation in
                    seen(try invocation.loadConfig())
                    return .success
                }
            ])
    }

    func testCommandsLoadTheConfigurationThroughTheConfigFlag() async throws {
        let path = try write("sluice.toml", Self.minimal + "password = \"${PW}\"\n")
        let box = ConfigBox()
        let capture = ConsoleCapture()
        let code = await tool { box.set($0) }.run(
            ["run", "--config", path], console: capture.console,
            environment: ["PW": "x"])
        XCTAssertEqual(code, .success, capture.err)
        XCTAssertEqual(box.get()?.redis(named: "primary")?.password?.revealed, "x")
    }

    func testConfigErrorsFromACommandAreAllPrintedWithExitTwo() async throws {
        let path = try write("sluice.toml", Self.minimal + "password = \"${PW}\"\nbatchrows = 1\n")
        let capture = ConsoleCapture()
        let code = await tool { _ in }.run(["run", "--config=\(path)"], console: capture.console, environment: [:])
        XCTAssertEqual(code, .usage)
        XCTAssertEqual(
            capture.err,
            """
            \(path):7: redis.primary.password: environment variable PW is not set (used as ${PW})
            \(path):8: redis.primary.batchrows: unknown key; did you mean "batch_rows"?
            sluice: 2 errors in the configuration (\(path))

            """)
    }

    func testDefaultConfigPathShownInHelp() async {
        let capture = ConsoleCapture()
        _ = await tool { _ in }.run(["run", "--help"], console: capture.console, environment: [:])
        XCTAssertTrue(
            capture.out.contains("--config FILE  the configuration file (default: /etc/sluice/sluice.toml)"),
            capture.out)
    }
}

private final class ConfigBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: SluiceConfig?
    func set(_ config: SluiceConfig) { lock.withLock { value = config } }
    func get() -> SluiceConfig? { lock.withLock { value } }
}
