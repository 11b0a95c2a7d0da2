import Foundation

/// Typed accessors: one per kind of value the schema uses.
extension TableReader {
    private func substitutedString(_ value: TOMLValue, _ keyPath: String) -> Conversion<String> {
        guard case .string(let text) = value.content else { return .wrongType("a string") }
        guard let substituted = context.substitute(text, line: value.line, keyPath: keyPath) else { return .reported }
        return .ok(substituted)
    }

    /// A string (with `${NAME}` substitution). `secret` masks it in the effective configuration.
    func string(
        _ key: String, default defaultValue: String? = nil, required: Bool = false, secret: Bool = false,
        check: (String) -> String? = { _ in nil }
    ) -> String? {
        value(
            key, default: defaultValue, required: required, masked: secret,
            render: { secret ? TOMLText.string(Secret.mask) : TOMLText.string($0) },
            convert: { value, keyPath in
                let converted = substitutedString(value, keyPath)
                if case .ok(let text) = converted, let problem = check(text) { return .bad(problem) }
                return converted
            })
    }

    /// A string that must not be empty (and passes `check`, when given).
    func nonEmptyString(
        _ key: String, default defaultValue: String? = nil, required: Bool = false,
        check: (String) -> String? = { _ in nil }
    ) -> String? {
        string(key, default: defaultValue, required: required) { $0.isEmpty ? "must not be empty" : check($0) }
    }

    func integer(
        _ key: String, default defaultValue: Int? = nil, required: Bool = false,
        range: ClosedRange<Int>
    ) -> Int? {
        value(
            key, default: defaultValue, required: required, render: { String($0) },
            convert: { value, _ in
                guard case .integer(let number) = value.content else { return .wrongType("an integer") }
                guard let int = Int(exactly: number), range.contains(int) else {
                    return .bad("must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
                }
                return .ok(int)
            })
    }

    /// A float; an integer is accepted too (`30` for `30.0`).
    func float(_ key: String, default defaultValue: Double, range: ClosedRange<Double>) -> Double {
        value(
            key, default: defaultValue, render: { String($0) },
            convert: { value, _ in
                let number: Double
                switch value.content {
                case .float(let float): number = float
                case .integer(let integer): number = Double(integer)
                default: return .wrongType("a number")
                }
                guard range.contains(number) else {
                    return .bad("must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
                }
                return .ok(number)
            }) ?? defaultValue
    }

    func bool(_ key: String, default defaultValue: Bool) -> Bool {
        value(
            key, default: defaultValue, render: { String($0) },
            convert: { value, _ in
                guard case .boolean(let flag) = value.content else { return .wrongType("a boolean") }
                return .ok(flag)
            }) ?? defaultValue
    }

    /// One of the raw values of `E`.
    func choice<E: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: E) -> E
    where E.RawValue == String {
        value(
            key, default: defaultValue, render: { TOMLText.string($0.rawValue) },
            convert: { value, keyPath in
                let converted = substitutedString(value, keyPath)
                guard case .ok(let text) = converted else { return converted.retyped() }
                if let choice = E(rawValue: text) { return .ok(choice) }
                let names = E.allCases.map(\.rawValue)
                return .bad(
                    "expected one of " + names.map { "\"\($0)\"" }.joined(separator: ", ") + ", got \"\(text)\""
                        + Suggestions.didYouMean(text, in: names, quote: "\""))
            }) ?? defaultValue
    }

    /// An array whose elements each go through `element` (errors name `key[index]`).
    func array<T>(
        _ key: String, default defaultValue: [T]? = nil, required: Bool = false, nonEmpty: Bool = false,
        render: @escaping (T) -> String, element: (TOMLValue, String) -> Conversion<T>
    ) -> [T]? {
        value(
            key, default: defaultValue, required: required, render: { TOMLText.array($0.map(render)) },
            convert: {
                value, keyPath in
                guard case .array(let items) = value.content else { return .wrongType("an array") }
                if nonEmpty, items.isEmpty { return .bad("must not be empty") }
                var converted: [T] = []
                var failed = false
                for (index, item) in items.enumerated() {
                    let itemPath = "\(keyPath)[\(index)]"
                    switch element(item, itemPath) {
                    case .ok(let value): converted.append(value)
                    case .wrongType(let expected):
                        context.error(
                            .wrongType, line: item.line, keyPath: itemPath,
                            "expected \(expected), got \(item.described)")
                        failed = true
                    case .bad(let message):
                        context.error(.badValue, line: item.line, keyPath: itemPath, message)
                        failed = true
                    case .reported:
                        failed = true
                    }
                }
                return failed ? .reported : .ok(converted)
            })
    }

    func stringArray(
        _ key: String, default defaultValue: [String]? = [], required: Bool = false, nonEmpty: Bool = false,
        check: @escaping (String) -> String? = { _ in nil }
    ) -> [String]? {
        array(key, default: defaultValue, required: required, nonEmpty: nonEmpty, render: TOMLText.string) {
            item, itemPath in
            let converted = substitutedString(item, itemPath)
            if case .ok(let text) = converted, let problem = check(text) { return .bad(problem) }
            return converted
        }
    }

    /// `host:port` (or `[v6]:port`).
    func hostPort(_ key: String, default defaultValue: HostPort) -> HostPort {
        value(
            key, default: defaultValue, render: { TOMLText.string($0.description) },
            convert: { value, keyPath in
                hostPortConversion(value, keyPath)
            }) ?? defaultValue
    }

    func hostPortArray(_ key: String, required: Bool, default defaultValue: [HostPort]? = nil) -> [HostPort]? {
        array(
            key, default: defaultValue, required: required, nonEmpty: true,
            render: { TOMLText.string($0.description) }, element: hostPortConversion)
    }

    private func hostPortConversion(_ value: TOMLValue, _ keyPath: String) -> Conversion<HostPort> {
        let converted = substitutedString(value, keyPath)
        guard case .ok(let text) = converted else { return converted.retyped() }
        switch HostPort.parse(text) {
        case .success(let hostPort): return .ok(hostPort)
        case .failure(let problem): return .bad(problem.message)
        }
    }

    /// Regular expressions (NSRegularExpression syntax) that must compile.
    func regexArray(_ key: String) -> [String] {
        stringArray(key) { pattern in
            do {
                _ = try NSRegularExpression(pattern: pattern)
                return nil
            } catch {
                return "invalid regular expression \"\(pattern)\""
            }
        } ?? []
    }

    /// A path to a file that must be readable (TLS certificates); relative to the config file.
    func readablePath(_ key: String) -> String? {
        guard let path = string(key) else { return nil }
        let resolved = context.resolve(path)
        do {
            _ = try FileReading.read(resolved)
        } catch {
            context.error(
                .unreadableFile, line: line(of: key), keyPath: keyPath(key), "cannot read \"\(resolved)\"",
                cause: error.reason)
            return nil
        }
        return resolved
    }
}

extension TableReader.Conversion {
    /// A failed conversion carried over to another result type.
    func retyped<U>() -> TableReader.Conversion<U> {
        switch self {
        case .ok: .reported
        case .wrongType(let expected): .wrongType(expected)
        case .bad(let message): .bad(message)
        case .reported: .reported
        }
    }
}

extension TableReader {
    /// A free-form table (`[kafka.properties]`): every key with a string, integer, float or
    /// boolean value, as text. A key of `refused` is an error giving its reason; a value whose key
    /// names a password or secret is masked in the effective configuration.
    func textMap(refusing refused: [String: String]) -> [String: String] {
        guard let table else { return [:] }
        var texts: [String: String] = [:]
        for key in table.keys.sorted() {
            guard let value = raw(key) else { continue }
            if let reason = refused[key] {
                badValue(key, reason)
                continue
            }
            let text: String
            switch value.content {
            case .string(let s): text = s
            case .integer(let i): text = String(i)
            case .float(let d): text = String(d)
            case .boolean(let b): text = String(b)
            default:
                badValue(key, "expected a string, number or boolean, got \(value.typeName)")
                continue
            }
            texts[key] = text
            let sensitive = ["password", "secret", "token"].contains { key.lowercased().contains($0) }
            recordEffective(key, sensitive ? TOMLText.string(Secret.mask) : TOMLText.string(text))
        }
        return texts
    }
}
