/// Process exit status of a `sluice` invocation.
package enum ExitCode: Int32, Sendable, Equatable {
    /// The command did what was asked.
    case success = 0
    /// A runtime failure: a server unreachable, a write refused, a file unreadable.
    case failure = 1
    /// The invocation or the configuration is wrong: unknown command or flag, bad value, config errors.
    case usage = 2
    /// A check that found a problem: `sluice status` (some lag is over the `[lag]` thresholds, or a
    /// component could not be read), `sluice run` (the startup checks refused the server or account).
    case lagging = 3
}

/// An error that decides the exit code it causes (all other errors exit with `.failure`).
package protocol ExitCodeError: Error {
    var exitCode: ExitCode { get }
}

/// A flag of a command: `--name` (boolean) or `--name VALUE` / `--name=VALUE`.
package struct Flag: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Present or absent; `--name=true` / `--name=false` are also accepted.
        case boolean
        /// Takes a value; `placeholder` names it in help (`--config FILE`).
        case value(placeholder: String)
    }

    /// Name without the leading dashes.
    package let name: String
    package let kind: Kind
    package let help: String
    /// A value flag that may be given several times (`--table a --table b`).
    package let repeatable: Bool
    /// Value used when the flag is absent (shown in help).
    package let defaultValue: String?

    /// A boolean flag.
    package static func boolean(_ name: String, help: String) -> Flag {
        Flag(name: name, kind: .boolean, help: help, repeatable: false, defaultValue: nil)
    }

    /// A flag taking a value.
    package static func value(
        _ name: String, placeholder: String, help: String, default defaultValue: String? = nil,
        repeatable: Bool = false
    ) -> Flag {
        Flag(
            name: name, kind: .value(placeholder: placeholder), help: help, repeatable: repeatable,
            defaultValue: defaultValue)
    }
}

/// A positional argument of a command.
package struct Positional: Sendable, Equatable {
    package enum Arity: Sendable, Equatable {
        case required
        case optional
        /// Zero or more; only the last positional may be variadic.
        case variadic
    }

    /// Upper-case name shown in usage (`FILE`).
    package let name: String
    package let help: String
    package let arity: Arity

    package init(_ name: String, help: String, arity: Arity = .required) {
        self.name = name
        self.help = help
        self.arity = arity
    }
}

/// What a command's `run` receives: its parsed arguments and the process surroundings, passed in so
/// tests can run a command with captured output and a made-up environment.
package struct Invocation: Sendable {
    /// Full command path, e.g. "sluice config check".
    package let commandPath: String
    package let arguments: ParsedArguments
    package let console: Console
    package let environment: [String: String]

    package init(commandPath: String, arguments: ParsedArguments, console: Console, environment: [String: String]) {
        self.commandPath = commandPath
        self.arguments = arguments
        self.console = console
        self.environment = environment
    }
}

/// One runnable (sub)command: its place in the command tree, its flags and positionals, and what it
/// runs. The logic behind `run` belongs in a library target; the closure only translates arguments.
package struct Command: Sendable {
    /// Words after `sluice`, e.g. ["config", "check"]. Intermediate words form groups.
    package let path: [String]
    /// One line, shown in the parent's command list and at the top of `--help`.
    package let abstract: String
    /// Further paragraphs for `--help`.
    package let discussion: String?
    package let flags: [Flag]
    package let positionals: [Positional]
    package let run: @Sendable (Invocation) async throws -> ExitCode

    /// - Parameter path: the words of the command separated by spaces, e.g. "config check".
    package init(
        _ path: String, abstract: String, discussion: String? = nil, flags: [Flag] = [],
        positionals: [Positional] = [], run: @escaping @Sendable (Invocation) async throws -> ExitCode
    ) {
        self.path = path.split(separator: " ").map(String.init)
        self.abstract = abstract
        self.discussion = discussion
        self.flags = flags
        self.positionals = positionals
        self.run = run
    }
}
