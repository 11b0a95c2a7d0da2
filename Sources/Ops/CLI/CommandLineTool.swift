/// The `sluice` command-line front: resolves the words of argv to a registered command, parses its
/// flags, runs it, and turns errors into messages on standard error and exit codes
/// (0 success, 1 runtime failure, 2 usage or configuration error).
package struct CommandLineTool: Sendable {
    package let name: String
    package let version: String
    package let abstract: String
    /// Lines `--version` prints after `NAME VERSION` (the C libraries actually loaded).
    let versionDetails: @Sendable () -> [String]
    let root: CommandNode
    let groupAbstracts: [String: String]
    /// Registration mistakes found while building the tree (tested to be empty for `sluice`).
    package let registryProblems: [String]

    /// - Parameters:
    ///   - commands: every runnable command; groups are implied by their paths.
    ///   - groups: one-line descriptions of groups, keyed by path ("bench", "config").
    ///   - versionDetails: more lines for `--version`.
    package init(
        name: String, version: String, abstract: String, commands: [Command], groups: [String: String] = [:],
        versionDetails: @escaping @Sendable () -> [String] = { [] }
    ) {
        self.name = name
        self.versionDetails = versionDetails
        self.version = version
        self.abstract = abstract
        self.groupAbstracts = groups
        var root = CommandNode(name: name, path: [])
        var problems: [String] = []
        for command in commands {
            if command.path.isEmpty {
                problems.append("a command has an empty path")
            } else if let problem = root.insert(command, remaining: command.path[...]) {
                problems.append(problem)
            }
        }
        self.root = root
        self.registryProblems = problems + root.problems()
    }

    /// Runs the invocation `arguments` (argv without the program name) and returns the exit code.
    package func run(_ arguments: [String], console: Console, environment: [String: String]) async -> ExitCode {
        var node = root
        var index = 0
        // Descend through groups while the next word names a child.
        while node.isGroup, node.command == nil {
            guard index < arguments.count else {
                if node.path.isEmpty {
                    console.err(
                        HelpText.group(
                            tool: name, version: version, abstract: abstract, node: node,
                            groupAbstracts: groupAbstracts))
                } else {
                    usageFailure("missing subcommand for '\(display(node))'", usage: groupUsage(node), console: console)
                }
                return .usage
            }
            let word = arguments[index]
            if word == "--help" || word == "-h" {
                console.out(
                    HelpText.group(
                        tool: name, version: version, abstract: abstract, node: node,
                        groupAbstracts: groupAbstracts))
                return .success
            }
            if node.path.isEmpty, word == "--version" {
                console.out((["\(name) \(version)"] + versionDetails()).joined(separator: "\n"))
                return .success
            }
            if word.hasPrefix("-") {
                var known = ["--help"]
                if node.path.isEmpty { known.append("--version") }
                usageFailure(
                    "unknown flag '\(word)'" + Suggestions.didYouMean(word, in: known),
                    usage: groupUsage(node), console: console)
                return .usage
            }
            guard let child = node.children[word] else {
                usageFailure(
                    "unknown command '\(word)' for '\(display(node))'"
                        + Suggestions.didYouMean(word, in: node.childOrder),
                    usage: groupUsage(node), console: console)
                return .usage
            }
            node = child
            index += 1
        }
        guard let command = node.command else { return .usage }
        let rest = Array(arguments[index...])
        let flagWords = rest.prefix { $0 != "--" }
        if flagWords.contains("--help") || flagWords.contains("-h") {
            console.out(HelpText.command(tool: name, command: command))
            return .success
        }
        let parsed: ParsedArguments
        do {
            parsed = try ArgumentParser.parse(rest, flags: command.flags, positionals: command.positionals)
        } catch {
            usageFailure(error.message, usage: commandUsage(command), console: console)
            return .usage
        }
        let invocation = Invocation(
            commandPath: display(node), arguments: parsed, console: console,
            environment: environment)
        do {
            return try await command.run(invocation)
        } catch let errors as ConfigErrors {
            errors.report(to: console)
            return errors.exitCode
        } catch let error as UsageError {
            usageFailure(error.message, usage: commandUsage(command), console: console)
            return .usage
        } catch let error as any ExitCodeError {
            console.err("\(name): error: \(error)")
            return error.exitCode
        } catch {
            console.err("\(name): error: \(error)")
            return .failure
        }
    }

    private func display(_ node: CommandNode) -> String { ([name] + node.path).joined(separator: " ") }

    private func groupUsage(_ node: CommandNode) -> String {
        HelpText.usage(tool: name, group: node) + "\nRun '\(display(node)) --help' for the list of commands."
    }

    private func commandUsage(_ command: Command) -> String {
        HelpText.usage(tool: name, command: command)
            + "\nRun '\(([name] + command.path).joined(separator: " ")) --help' for its options."
    }

    private func usageFailure(_ message: String, usage: String, console: Console) {
        console.err("\(name): error: \(message)\n\(usage)")
    }
}
