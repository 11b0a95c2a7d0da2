/// A usage error: the invocation is wrong (exit code 2). The tool prints it with the usage line.
package struct UsageError: ExitCodeError, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package var exitCode: ExitCode { .usage }
    package var description: String { message }

    package init(_ message: String) {
        self.message = message
    }
}

/// The flags and positionals of one invocation, checked against the command's declaration.
package struct ParsedArguments: Sendable, Equatable {
    /// Boolean flags given (and true).
    let booleans: Set<String>
    /// Value flags in the order given.
    let values: [String: [String]]
    /// Declared flag defaults, used when a value flag is absent.
    let defaults: [String: String]
    /// Positionals by declared name; a variadic one holds all its words.
    let named: [String: [String]]

    /// True when boolean flag `--name` was given.
    package func flag(_ name: String) -> Bool { booleans.contains(name) }

    /// The value of `--name`: the last one given, or the declared default.
    package func value(_ name: String) -> String? { values[name]?.last ?? defaults[name] }

    /// Every value of a repeatable flag, in order (empty when absent).
    package func values(_ name: String) -> [String] { values[name] ?? [] }

    /// The positional argument declared as `name`, if given.
    package func positional(_ name: String) -> String? { named[name]?.first }

    /// All words of a variadic positional.
    package func variadic(_ name: String) -> [String] { named[name] ?? [] }

    /// The value of `--name` as an integer, or nil when absent; a non-integer is a usage error.
    package func integer(_ name: String) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text) else {
            throw UsageError("--\(name): expected an integer, got '\(text)'")
        }
        return number
    }
}

/// Parses the words after the command path against a command's flags and positionals.
/// `--name value`, `--name=value`, boolean `--name`, repeated flags, and `--` ending the flags.
/// `--help`/`-h` are handled by the caller before this runs.
enum ArgumentParser {
    static func parse(_ words: [String], flags: [Flag], positionals: [Positional]) throws(UsageError) -> ParsedArguments
    {
        var byName: [String: Flag] = [:]
        for flag in flags { byName[flag.name] = flag }
        var booleans = Set<String>()
        var values: [String: [String]] = [:]
        var loose: [String] = []
        var index = 0
        var flagsEnded = false
        while index < words.count {
            let word = words[index]
            index += 1
            if flagsEnded || !word.hasPrefix("-") || word == "-" {
                loose.append(word)
                continue
            }
            if word == "--" {
                flagsEnded = true
                continue
            }
            guard word.hasPrefix("--") else {
                throw UsageError(
                    "unknown flag '\(word)'"
                        + Suggestions.didYouMean(
                            "--" + word.drop(while: { $0 == "-" }), in: flags.map { "--" + $0.name } + ["--help"]))
            }
            let body = word.dropFirst(2)
            let name: String
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard let flag = byName[name] else {
                throw UsageError(
                    "unknown flag '--\(name)'"
                        + Suggestions.didYouMean(
                            "--" + name, in: flags.map { "--" + $0.name } + ["--help"]))
            }
            switch flag.kind {
            case .boolean:
                switch inlineValue {
                case nil, "true": booleans.insert(name)
                case "false": booleans.remove(name)
                case let other?:
                    throw UsageError("--\(name) is a switch and takes no value (got '\(other)')")
                }
            case .value(let placeholder):
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else if index < words.count {
                    value = words[index]
                    index += 1
                } else {
                    throw UsageError("--\(name) needs a value (\(placeholder))")
                }
                if !flag.repeatable, values[name] != nil {
                    throw UsageError("--\(name) given more than once")
                }
                values[name, default: []].append(value)
            }
        }
        var defaults: [String: String] = [:]
        for flag in flags { if let value = flag.defaultValue { defaults[flag.name] = value } }
        return ParsedArguments(
            booleans: booleans, values: values, defaults: defaults,
            named: try assign(loose, to: positionals))
    }

    private static func assign(_ words: [String], to positionals: [Positional]) throws(UsageError) -> [String: [String]]
    {
        var named: [String: [String]] = [:]
        var rest = words[...]
        for positional in positionals {
            switch positional.arity {
            case .required:
                guard let word = rest.popFirst() else {
                    throw UsageError("missing argument \(positional.name)")
                }
                named[positional.name] = [word]
            case .optional:
                if let word = rest.popFirst() { named[positional.name] = [word] }
            case .variadic:
                named[positional.name] = Array(rest)
                rest = []
            }
        }
        if let extra = rest.first {
            throw UsageError("unexpected argument '\(extra)'")
        }
        return named
    }
}
