/// `[[mapping]]`: how one table's rows become Redis keys.
public struct MappingConfig: Sendable, Equatable {
    public enum Shape: String, Sendable, Equatable, CaseIterable {
        /// A Redis hash, one field per column.
        case hash
        /// A string holding the row as a JSON object.
        case json
        /// A string holding one column's value (`value_column`).
        case string
    }

    /// Where a row's version comes from (guarantee 1: a key is written only by a newer version).
    public enum Version: Sendable, Equatable {
        /// An application-maintained column (the optimistic-lock column).
        case column(String)
        /// A sequence derived from the binlog position, monotonic across rotation and failover.
        case binlog
    }

    enum VersionSource: String, CaseIterable {
        case column, binlog
    }

    public enum OnError: String, Sendable, Equatable, CaseIterable {
        /// Stop advancing and report (the default: nothing silently dropped).
        case halt
        /// Skip the row, count it and log it.
        case skip
    }

    /// Index of this mapping in the file (0-based) and its line, for messages.
    public var index: Int
    public var line: Int
    public var database: String
    public var table: String
    public var key: KeyTemplate
    public var shape: Shape
    /// Columns stored (hash/json); empty = all.
    public var columns: [String]
    /// The column stored as the value (string shape).
    public var valueColumn: String?
    /// Key expiry; 0 = none.
    public var ttlSeconds: Int
    public var version: Version
    public var onError: OnError
    /// Names of `[redis.*]` clusters this table is written to.
    public var clusters: [String]

    /// `db.table` as written.
    public var qualifiedTable: String { "\(database).\(table)" }

    /// - Parameters:
    ///   - knownClusters: names of the configured `[redis.*]` clusters.
    ///   - defaultClusters: clusters used when `clusters` is absent.
    ///   - reservedPrefixes: key prefixes sluice keeps its own data under (`KeyNamespace.reserved`).
    init?(
        index: Int, _ reader: TableReader, knownClusters: [String], defaultClusters: [String],
        reservedPrefixes: [String] = KeyNamespace.reserved(checkpointPrefixes: [])
    ) {
        self.index = index
        line = reader.line
        let qualified = reader.string("table", required: true) { text in
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 2 && parts.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) })
                ? nil : "expected \"database.table\", got \"\(text)\""
        }
        var template: KeyTemplate?
        _ = reader.string("key", required: true) { text in
            switch KeyTemplate.parse(text) {
            case .success(let parsed):
                template = parsed
                return Self.namespaceProblem(parsed, reservedPrefixes)
            case .failure(let problem):
                return problem.message
            }
        }
        shape = reader.choice("shape", default: Shape.hash)
        columns = reader.stringArray("columns", check: { $0.isEmpty ? "column name must not be empty" : nil }) ?? []
        valueColumn = reader.nonEmptyString("value_column")
        if shape == .string {
            if reader.has("columns") { reader.badValue("columns", "not used with shape \"string\" (use value_column)") }
            if !reader.has("value_column") {
                reader.missing("value_column", "required when shape = \"string\"", line: reader.line(of: "shape"))
            }
        } else if reader.has("value_column") {
            reader.badValue("value_column", "only used with shape \"string\"")
        }
        if shape == .hash, columns.contains("sluice:v") {
            reader.badValue("columns", "'sluice:v' is the hash field sluice keeps the row's version in (docs/redis.md)")
        }
        ttlSeconds = reader.integer("ttl_seconds", default: 0, range: 0...Int(Int32.max)) ?? 0
        let versionSource = reader.choice("version", default: VersionSource.binlog)
        let versionColumn = reader.nonEmptyString("version_column")
        switch versionSource {
        case .binlog:
            version = .binlog
            if reader.has("version_column") { reader.badValue("version_column", "only used with version = \"column\"") }
        case .column:
            version = .column(versionColumn ?? "")
            if !reader.has("version_column") {
                reader.missing("version_column", "required when version = \"column\"", line: reader.line(of: "version"))
            }
        }
        onError = reader.choice("on_error", default: OnError.halt)
        clusters =
            reader.stringArray("clusters", default: defaultClusters) { name in
                knownClusters.contains(name)
                    ? nil
                    : "no [redis.\(name)] cluster is configured"
                        + Suggestions.didYouMean(name, in: knownClusters, quote: "\"")
            } ?? []
        let parts = qualified?.split(separator: ".") ?? []
        guard let database = parts.first, let table = parts.last, parts.count == 2, let template else { return nil }
        self.database = String(database)
        self.table = String(table)
        key = template
    }

    /// Why `template` could write into sluice's own key names, or nil when it can't.
    static func namespaceProblem(_ template: KeyTemplate, _ reserved: [String]) -> String? {
        guard let prefix = reserved.first(where: template.canProduce(keyStartingWith:)) else { return nil }
        let how =
            template.leadingLiteral.hasPrefix(prefix)
            ? "its keys start with"
            : "a key column holding text such as '\(prefix)...' makes a key starting with"
        return "\(how) '\(prefix)', where sluice keeps its own data (versions, tombstones, checkpoints, "
            + "DR offsets): start the template with a literal prefix of your own, e.g. \"row:\(template.source)\" "
            + "(docs/redis.md)"
    }
}
