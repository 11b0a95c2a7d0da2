/// `[[mapping]]`: how one table's rows become Redis keys.
package struct MappingConfig: Sendable, Equatable {
    package enum Shape: String, Sendable, Equatable, CaseIterable {
        /// A Redis hash, one field per column.
        case hash
        /// A string holding the row as a JSON object.
        case json
        /// A string holding one column's value (`value_column`).
        case string
    }

    /// Where a row's version comes from (guarantee 1: a key is written only by a newer version).
    package enum Version: Sendable, Equatable {
        /// An application-maintained column (the optimistic-lock column).
        case column(String)
        /// A sequence derived from the binlog position, monotonic across rotation and failover.
        case binlog
    }

    enum VersionSource: String, CaseIterable {
        case column, binlog
    }

    package enum OnError: String, Sendable, Equatable, CaseIterable {
        /// Stop advancing and report (the default: nothing silently dropped).
        case halt
        /// Skip the row, count it and log it.
        case skip
    }

    /// Index of this mapping in the file (0-based) and its line, for messages.
    package var index: Int
    package var line: Int
    package var database: String
    package var table: String
    package var key: KeyTemplate
    package var shape: Shape
    /// Columns stored (hash/json); empty = all.
    package var columns: [String]
    /// The column stored as the value (string shape).
    package var valueColumn: String?
    /// Key expiry; 0 = none.
    package var ttlSeconds: Int
    package var version: Version
    package var onError: OnError
    /// Names of `[redis.*]` clusters this table is written to.
    package var clusters: [String]
    /// Kafka only: columns left out of this table's Kafka messages (`kafka_exclude_columns`).
    package var kafkaExcludeColumns: [String]
    /// Kafka only: columns masked in this table's Kafka messages (`kafka_mask_columns`).
    package var kafkaMaskColumns: [KafkaMask]
    /// Kafka only: the message key columns (`kafka_key_columns`); empty = the primary key.
    package var kafkaKeyColumns: [String]

    /// One `kafka_mask_columns` entry: `"column:hash"` or `"column:keep-last-N"`.
    package struct KafkaMask: Sendable, Equatable {
        package enum Rule: Sendable, Equatable {
            /// SHA-256 of `[kafka] mask_salt` followed by the value's text, as lowercase hex.
            case hash
            /// Every character but the last N replaced by `*`.
            case keepLast(Int)
        }

        package var column: String
        package var rule: Rule

        package init(column: String, rule: Rule) {
            self.column = column
            self.rule = rule
        }

        /// The mask, or why the text is not one.
        static func parse(_ text: String) -> (mask: KafkaMask?, problem: String?) {
            guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
                return (nil, "expected \"column:hash\" or \"column:keep-last-N\", got \"\(text)\"")
            }
            let column = String(text[..<colon])
            let rule = text[text.index(after: colon)...]
            if rule == "hash" { return (KafkaMask(column: column, rule: .hash), nil) }
            if rule.hasPrefix("keep-last-"), let n = Int(rule.dropFirst("keep-last-".count)), n >= 0 {
                return (KafkaMask(column: column, rule: .keepLast(n)), nil)
            }
            return (nil, "unknown mask \"\(rule)\" for column \(column) (use \"hash\" or \"keep-last-N\")")
        }
    }

    /// `db.table` as written.
    package var qualifiedTable: String { "\(database).\(table)" }

    /// - Parameters:
    ///   - knownClusters: names of the configured `[redis.*]` clusters.
    ///   - defaultClusters: clusters used when `clusters` is absent.
    ///   - reservedPrefixes: key prefixes sluice keeps its own data under (`KeyNamespace.reserved`).
    ///   - consumedByDR: `[dr_apply]` is configured: it applies this mapping to the Kafka messages,
    ///     so the columns the mapping needs must reach Kafka unmasked.
    init?(
        index: Int, _ reader: TableReader, knownClusters: [String], defaultClusters: [String],
        reservedPrefixes: [String] = KeyNamespace.reserved(checkpointPrefixes: []), consumedByDR: Bool = false
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
        (shape, columns, valueColumn) = Self.readStored(reader)
        ttlSeconds = reader.integer("ttl_seconds", default: 0, range: 0...Int(Int32.max)) ?? 0
        version = Self.readVersion(reader)
        onError = reader.choice("on_error", default: OnError.halt)
        clusters =
            reader.stringArray("clusters", default: defaultClusters) { name in
                knownClusters.contains(name)
                    ? nil
                    : "no [redis.\(name)] cluster is configured"
                        + Suggestions.didYouMean(name, in: knownClusters, quote: "\"")
            } ?? []
        (kafkaExcludeColumns, kafkaMaskColumns, kafkaKeyColumns) = Self.readKafkaColumns(reader)
        if consumedByDR {
            Self.checkReachesDR(
                reader, needed: Self.columnsNeeded(template, version, valueColumn, columns), masks: kafkaMaskColumns,
                excluded: kafkaExcludeColumns)
        }
        let parts = qualified?.split(separator: ".") ?? []
        guard let database = parts.first, let table = parts.last, parts.count == 2, let template else { return nil }
        self.database = String(database)
        self.table = String(table)
        key = template
    }

    /// `shape` with what it stores: `columns` (hash, json) or `value_column` (string).
    private static func readStored(_ reader: TableReader) -> (Shape, [String], String?) {
        let shape = reader.choice("shape", default: Shape.hash)
        let columns = reader.stringArray("columns", check: { $0.isEmpty ? "column name must not be empty" : nil }) ?? []
        let valueColumn = reader.nonEmptyString("value_column")
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
        return (shape, columns, valueColumn)
    }

    /// `version` and `version_column`.
    private static func readVersion(_ reader: TableReader) -> Version {
        let versionSource = reader.choice("version", default: VersionSource.binlog)
        let versionColumn = reader.nonEmptyString("version_column")
        switch versionSource {
        case .binlog:
            if reader.has("version_column") { reader.badValue("version_column", "only used with version = \"column\"") }
            return .binlog
        case .column:
            if !reader.has("version_column") {
                reader.missing("version_column", "required when version = \"column\"", line: reader.line(of: "version"))
            }
            return .column(versionColumn ?? "")
        }
    }

    /// `kafka_exclude_columns`, `kafka_mask_columns` and `kafka_key_columns`, checked against
    /// each other: a key column may not be hidden.
    private static func readKafkaColumns(_ reader: TableReader) -> ([String], [KafkaMask], [String]) {
        let columnName = { (name: String) -> String? in name.isEmpty ? "column name must not be empty" : nil }
        let excluded = reader.stringArray("kafka_exclude_columns", check: columnName) ?? []
        var masks: [KafkaMask] = []
        _ = reader.stringArray("kafka_mask_columns") { text in
            let parsed = KafkaMask.parse(text)
            if let mask = parsed.mask { masks.append(mask) }
            return parsed.problem
        }
        let keyColumns = reader.stringArray("kafka_key_columns", check: columnName) ?? []
        if let both = masks.first(where: { excluded.contains($0.column) }) {
            reader.badValue("kafka_mask_columns", "\(both.column) is also in kafka_exclude_columns")
        }
        let hidden = Set(excluded + masks.map(\.column))
        if let leaked = keyColumns.first(where: hidden.contains) {
            reader.badValue("kafka_key_columns", "\(leaked) is excluded or masked: the message key would carry its value")
        }
        return (excluded, masks, keyColumns)
    }

    /// The columns the mapping reads from a row: the key's, the version column, the value
    /// column and the stored columns.
    var columnsNeeded: [String] { Self.columnsNeeded(key, version, valueColumn, columns) }

    private static func columnsNeeded(
        _ template: KeyTemplate?, _ version: Version, _ valueColumn: String?, _ columns: [String]
    ) -> [String] {
        var needed = template?.columns ?? []
        if case .column(let name) = version, !name.isEmpty { needed.append(name) }
        if let valueColumn { needed.append(valueColumn) }
        return needed + columns
    }

    /// Under `[dr_apply]`: the columns the mapping `needed` (key, version, value, stored columns)
    /// must reach Kafka unmasked, or the DR cluster would get the masked or missing value.
    static func checkReachesDR(_ reader: TableReader, needed: [String], masks: [KafkaMask], excluded: [String]) {
        let hidden = Set(excluded + masks.map(\.column))
        guard let column = needed.first(where: hidden.contains) else { return }
        reader.badValue(
            reader.has("kafka_mask_columns") && masks.contains(where: { $0.column == column })
                ? "kafka_mask_columns" : "kafka_exclude_columns",
            "\(column) is used by this mapping (key, version, value or columns) and [dr_apply] applies the "
                + "mapping to the Kafka messages: the DR cluster would get the masked or missing value")
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
