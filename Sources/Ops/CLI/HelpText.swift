/// Renders usage lines and `--help` pages for groups and commands.
enum HelpText {
    static func usage(tool: String, command: Command) -> String {
        var words = [tool] + command.path
        if !command.flags.isEmpty { words.append("[options]") }
        for positional in command.positionals {
            switch positional.arity {
            case .required: words.append(positional.name)
            case .optional: words.append("[\(positional.name)]")
            case .variadic: words.append("[\(positional.name) ...]")
            }
        }
        return "Usage: " + words.joined(separator: " ")
    }

    static func usage(tool: String, group: CommandNode) -> String {
        "Usage: " + ([tool] + group.path + ["<command>", "[options]"]).joined(separator: " ")
    }

    static func command(tool: String, command: Command) -> String {
        var lines = [command.abstract, "", usage(tool: tool, command: command)]
        if let discussion = command.discussion { lines += ["", discussion] }
        if !command.positionals.isEmpty {
            lines += ["", "Arguments:"]
            lines += table(command.positionals.map { ($0.name, $0.help) })
        }
        lines += ["", "Options:"]
        var rows: [(String, String)] = command.flags.map { flag in
            var left = "--" + flag.name
            if case .value(let placeholder) = flag.kind { left += " " + placeholder }
            var help = flag.help
            if let value = flag.defaultValue { help += " (default: \(value))" }
            if flag.repeatable { help += " (repeatable)" }
            return (left, help)
        }
        rows.append(("-h, --help", "show this help"))
        lines += table(rows)
        return lines.joined(separator: "\n")
    }

    static func group(
        tool: String, version: String, abstract: String, node: CommandNode,
        groupAbstracts: [String: String]
    ) -> String {
        let key = node.path.joined(separator: " ")
        let title = node.path.isEmpty ? "\(tool) \(version): \(abstract)" : (groupAbstracts[key] ?? "")
        var lines: [String] = []
        if !title.isEmpty { lines += [title, ""] }
        lines.append(usage(tool: tool, group: node))
        lines += ["", "Commands:"]
        lines += table(
            node.childOrder.compactMap { name in
                guard let child = node.children[name] else { return nil }
                let childKey = child.path.joined(separator: " ")
                let text =
                    child.command?.abstract ?? groupAbstracts[childKey]
                    ?? "commands: " + child.childOrder.joined(separator: ", ")
                return (name, text)
            })
        lines += ["", "Options:"]
        var rows = [("-h, --help", "show this help")]
        if node.path.isEmpty { rows.append(("--version", "print the version and exit")) }
        lines += table(rows)
        lines += ["", "Run '\(([tool] + node.path).joined(separator: " ")) <command> --help' for a command's options."]
        return lines.joined(separator: "\n")
    }

    private static func table(_ rows: [(String, String)]) -> [String] {
        let width = min(28, rows.map(\.0.count).max() ?? 0)
        return rows.map { left, right in
            let padding = String(repeating: " ", count: max(1, width - left.count + 2))
            return "  " + left + padding + right
        }
    }
}
