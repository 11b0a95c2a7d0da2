/// Reads one TOML table against the schema. Each accessor declares a key with its type, default
/// and constraint, records a precise error when the file disagrees, and records the effective
/// value for `config check`. `finish()` then reports every key nobody asked for as unknown.
///
/// Accessors never throw: on an error they return the default (or nil) so validation goes on and
/// one run reports every problem.
final class TableReader {
    let context: ValidationContext
    /// Dotted path of this table ("source.tls", "mapping[1]"), "" for the root.
    let path: String
    /// nil when the table is absent from the file (defaults apply).
    let table: TOMLTable?
    /// Line of the table header, or of the enclosing table when absent (for "missing" errors).
    let line: Int
    let effective = EffectiveTable()
    private var known: [String] = []

    init(context: ValidationContext, path: String, table: TOMLTable?, line: Int) {
        self.context = context
        self.path = path
        self.table = table
        self.line = line
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of `key`, declaring the key known.
    func raw(_ key: String) -> TOMLValue? {
        known.append(key)
        return table?[key]
    }

    /// Line of `key` if present, else of this table.
    func line(of key: String) -> Int { table?[key]?.line ?? line }

    func badValue(_ key: String, _ message: String, line: Int? = nil) {
        context.error(.badValue, line: line ?? self.line(of: key), keyPath: keyPath(key), message)
    }

    /// A required key is absent; reported on `line` (default: this table's header).
    func missing(_ key: String, _ message: String = "missing required key", line: Int? = nil) {
        context.error(.missingRequired, line: line ?? self.line, keyPath: keyPath(key), message)
    }

    /// Records a derived effective value (a default computed from other sections).
    func recordEffective(_ key: String, _ rendered: String) {
        effective.append(key, .scalar(rendered))
    }

    /// Keys in the file that no accessor declared: errors with a suggestion.
    func finish() {
        guard let table else { return }
        for key in table.keys where !known.contains(key) {
            let suggestion = Suggestions.didYouMean(key, in: known, quote: "\"")
            context.error(
                .unknownKey, line: table[key]?.line ?? line, keyPath: keyPath(key), "unknown key" + suggestion)
        }
    }

    // MARK: the generic accessor

    enum Conversion<T> {
        case ok(T)
        /// Wrong TOML type; the payload says what was expected ("an integer").
        case wrongType(String)
        /// Right type, bad value; the payload is the message.
        case bad(String)
        /// Already reported (e.g. an unset environment variable).
        case reported
    }

    /// Reads `key`: absent gives `defaultValue` (or a missing-key error when `required`), present goes
    /// through `convert`. The effective value is recorded through `render`.
    /// A `masked` value (a secret) is never quoted in messages, only its type.
    func value<T>(
        _ key: String, default defaultValue: T?, required: Bool = false, masked: Bool = false, render: (T) -> String,
        convert: (TOMLValue, String) -> Conversion<T>
    ) -> T? {
        guard let value = raw(key) else {
            if required { missing(key) }
            if let defaultValue { effective.append(key, .scalar(render(defaultValue))) }
            return defaultValue
        }
        switch convert(value, keyPath(key)) {
        case .ok(let converted):
            effective.append(key, .scalar(render(converted)))
            return converted
        case .wrongType(let expected):
            context.error(
                .wrongType, line: value.line, keyPath: keyPath(key),
                "expected \(expected), got \(masked ? value.typeName : value.described)")
        case .bad(let message):
            context.error(.badValue, line: value.line, keyPath: keyPath(key), message)
        case .reported:
            break
        }
        return nil
    }

    // MARK: child tables

    /// The sub-table `key` (an empty reader with defaults when absent). Call `finish()` on it and
    /// `attach` it when done.
    func table(_ key: String) -> TableReader {
        let value = raw(key)
        if let value, case .table(let child) = value.content {
            return TableReader(context: context, path: keyPath(key), table: child, line: child.line)
        }
        if let value {
            context.error(
                .wrongType, line: value.line, keyPath: keyPath(key), "expected a table, got \(value.described)")
        }
        return TableReader(context: context, path: keyPath(key), table: nil, line: value?.line ?? line)
    }

    /// True when `key` is present in the file (without declaring it).
    func has(_ key: String) -> Bool { table?[key] != nil }

    /// Adds a finished child's effective values under `key`.
    func attach(_ key: String, _ child: TableReader) {
        child.finish()
        effective.append(key, .table(child.effective))
    }

    /// Reads the sub-table `key` with `make` and attaches it: one whole section.
    func section<T>(_ key: String, _ make: (TableReader) -> T) -> T {
        let child = table(key)
        let value = make(child)
        attach(key, child)
        return value
    }

    func attach(_ key: String, _ children: [TableReader]) {
        for child in children { child.finish() }
        if !children.isEmpty { effective.append(key, .tables(children.map(\.effective))) }
    }

    /// Every key of this table as a named sub-table (`[redis.primary]`, `[redis.dr]`).
    func namedTables() -> [(name: String, reader: TableReader)] {
        guard let table else { return [] }
        return table.keys.compactMap { name in
            let child = self.table(name)
            return child.table == nil ? nil : (name, child)
        }
    }

    /// `[[key]]`: an array of tables.
    func arrayOfTables(_ key: String) -> [TableReader] {
        guard let value = raw(key) else { return [] }
        guard case .array(let items) = value.content else {
            context.error(
                .wrongType, line: value.line, keyPath: keyPath(key),
                "expected an array of tables ([[\(keyPath(key))]]), got \(value.described)")
            return []
        }
        return items.enumerated().compactMap { index, item in
            let itemPath = "\(keyPath(key))[\(index)]"
            guard case .table(let child) = item.content else {
                context.error(.wrongType, line: item.line, keyPath: itemPath, "expected a table, got \(item.described)")
                return nil
            }
            return TableReader(context: context, path: itemPath, table: child, line: child.line)
        }
    }
}
