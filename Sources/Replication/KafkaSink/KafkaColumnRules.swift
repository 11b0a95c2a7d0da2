import Binlog
import Ops

/// What one table's Kafka messages leave out, mask and key on (`kafka_exclude_columns`,
/// `kafka_mask_columns`, `kafka_key_columns` of its `[[mapping]]`). Applied to the change before it
/// is encoded, in every format, so an excluded or masked value never reaches the broker; the Redis
/// sinks never see these rules.
///
/// - excluded columns are removed from the images (and the column list, types, primary key);
/// - a masked value becomes text: `hash` is the lowercase hex SHA-256 of the salt followed by the
///   value's Redis text; `keep-last-N` keeps the text's last N characters and replaces every one
///   before them by `*`. NULL stays NULL. The column's type becomes `varchar`;
/// - the message key is built from `keyColumns` (default: the primary key) of the masked image.
package struct KafkaColumnRules: Sendable, Equatable {
    package var exclude: Set<String>
    package var mask: [String: MappingConfig.KafkaMask.Rule]
    package var keyColumns: [String]
    package var salt: String

    package init(
        exclude: Set<String> = [], mask: [String: MappingConfig.KafkaMask.Rule] = [:], keyColumns: [String] = [],
        salt: String = ""
    ) {
        self.exclude = exclude
        self.mask = mask
        self.keyColumns = keyColumns
        self.salt = salt
    }

    package init(config m: MappingConfig, salt: String) {
        self.init(
            exclude: Set(m.kafkaExcludeColumns),
            mask: Dictionary(m.kafkaMaskColumns.map { ($0.column, $0.rule) }, uniquingKeysWith: { a, _ in a }),
            keyColumns: m.kafkaKeyColumns, salt: salt)
    }

    /// What `config check --source` reports for a mapping whose Kafka column keys name columns
    /// the table (`columns`, read from the source) does not have: one line per key.
    package static func unknownColumns(in m: MappingConfig, tableColumns columns: [String]) -> [String] {
        let known = Set(columns)
        let keys = [
            ("kafka_exclude_columns", m.kafkaExcludeColumns), ("kafka_mask_columns", m.kafkaMaskColumns.map(\.column)),
            ("kafka_key_columns", m.kafkaKeyColumns),
        ]
        return keys.compactMap { key, names in
            let missing = names.filter { !known.contains($0) }
            guard !missing.isEmpty else { return nil }
            return "\(key): \(m.qualifiedTable) has no column \(missing.joined(separator: ", ")) "
                + (columns.isEmpty
                    ? "(the table does not exist on the source)" : "(its columns: \(columns.joined(separator: ", ")))")
        }
    }

    /// The change as the Kafka messages carry it, and the indexes of its key columns (nil: the
    /// primary key). A key column the change lacks is left out of the key.
    package func apply(to change: RowChange) -> (change: RowChange, keyColumns: [Int]?) {
        var out = change
        if !exclude.isEmpty {
            let kept = change.columns.indices.filter { !exclude.contains(change.columns[$0]) }
            let newIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            out.columns = kept.map { change.columns[$0] }
            out.before = change.before.map { image in kept.compactMap { $0 < image.count ? image[$0] : nil } }
            out.after = change.after.map { image in kept.compactMap { $0 < image.count ? image[$0] : nil } }
            if change.columnTypes.count == change.columns.count {
                out.columnTypes = kept.map { change.columnTypes[$0] }
            }
            out.primaryKey = change.primaryKey.compactMap { newIndex[$0] }
        }
        if !mask.isEmpty {
            for (i, name) in out.columns.enumerated() {
                guard let rule = mask[name] else { continue }
                if i < out.columnTypes.count { out.columnTypes[i] = ColumnDefinition(type: .varchar, collation: 45) }
                if var image = out.before, i < image.count {
                    image[i] = masked(image[i], rule)
                    out.before = image
                }
                if var image = out.after, i < image.count {
                    image[i] = masked(image[i], rule)
                    out.after = image
                }
            }
        }
        let key = keyColumns.isEmpty ? nil : keyColumns.compactMap { out.columns.firstIndex(of: $0) }
        return (out, key)
    }

    func masked(_ value: ColumnValue, _ rule: MappingConfig.KafkaMask.Rule) -> ColumnValue {
        guard let text = RedisValueText.text(value) else { return .null }
        switch rule {
        case .hash:
            return .string(SHA256.hex(Array(salt.utf8) + Array(text.utf8)))
        case .keepLast(let n):
            let count = text.count
            return .string(String(repeating: "*", count: max(0, count - n)) + text.suffix(n))
        }
    }
}
