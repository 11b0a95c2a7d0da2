import Binlog
import Ops
import RedisCluster

/// How one table's rows become Redis keys in the named clusters: the key template, the value
/// shape, an optional TTL and the version source. Pure: `writes(for:)` does no I/O.
package struct TableMapping: Sendable, Equatable {
    package enum Shape: Sendable, Equatable {
        /// A hash of the named columns (all columns when empty), one field per non-NULL column;
        /// a column that becomes NULL loses its field.
        case hash(columns: [String])
        /// A string holding a JSON object of the named columns (all when empty), NULLs included.
        case json(columns: [String])
        /// A string holding one column's text (`balance:{account_id}` -> "10.50"); NULL: no key.
        case string(column: String)
    }

    package var database: String
    package var table: String
    package var key: KeyTemplate
    package var shape: Shape
    /// Seconds the key lives after each write; 0 = no expiry.
    package var ttlSeconds: Int
    package var version: VersionSource
    package var skipOnError: Bool
    package var clusters: [String]
    /// Key prefixes no row may write (`KeyNamespace`): a key column holding `sluice:v:...` would
    /// otherwise overwrite another row's version.
    package var reservedPrefixes: [String]

    package init(
        database: String, table: String, key: KeyTemplate, shape: Shape, ttlSeconds: Int = 0,
        version: VersionSource, skipOnError: Bool = false, clusters: [String] = ["primary"],
        reservedPrefixes: [String] = [KeyNamespace.sluicePrefix]
    ) {
        self.database = database
        self.table = table
        self.key = key
        self.shape = shape
        self.ttlSeconds = ttlSeconds
        self.version = version
        self.skipOnError = skipOnError
        self.clusters = clusters
        self.reservedPrefixes = reservedPrefixes
    }

    /// From a validated `[[mapping]]` section. Binlog versions use GTID domain `binlogDomain`;
    /// `reservedPrefixes`: see `KeyNamespace.reserved`.
    package init(
        config c: MappingConfig, binlogDomain: UInt32 = 0, reservedPrefixes: [String] = [KeyNamespace.sluicePrefix]
    ) {
        let shape: Shape
        switch c.shape {
        case .hash: shape = .hash(columns: c.columns)
        case .json: shape = .json(columns: c.columns)
        case .string: shape = .string(column: c.valueColumn ?? "")
        }
        let version: VersionSource
        switch c.version {
        case .column(let name): version = .column(name)
        case .binlog: version = .binlog(domain: binlogDomain)
        }
        self.init(
            database: c.database, table: c.table, key: c.key, shape: shape, ttlSeconds: c.ttlSeconds,
            version: version, skipOnError: c.onError == .skip, clusters: c.clusters, reservedPrefixes: reservedPrefixes)
    }

    package var qualifiedTable: String { "\(database).\(table)" }

    /// The Redis writes for one row change: one write, or two when an update changes the key
    /// (the old key gets a delete with the same version, the new key the upsert).
    package func writes(for change: RowChange) throws(MappingError) -> [VersionedWrite] {
        try writes(for: change, columnIndex: Self.columnIndex(change.columns))
    }

    /// Each column name's index (the first, for a repeated name): made once for the changes of
    /// one table map and passed to `writes(for:columnIndex:)`.
    package static func columnIndex(_ columns: [String]) -> [String: Int] {
        Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `writes(for:)` with the change's `columnIndex(change.columns)` made by the caller.
    package func writes(for change: RowChange, columnIndex index: [String: Int]) throws(MappingError)
        -> [VersionedWrite]
    {
        var versionIndex: Int? = nil
        if case .column(let name) = version { versionIndex = index[name] }
        let ttlMs = Int64(max(ttlSeconds, 0)) * 1000
        switch change.kind {
        case .delete:
            let before = try image(change.before, "before", change)
            let v = try version.version(of: change, columnIndex: versionIndex)
            return [VersionedWrite(key: try renderKey(before, index, change), version: v, value: .delete)]
        case .insert, .update:
            let after = try image(change.after, "after", change)
            let v = try version.version(of: change, columnIndex: versionIndex)
            let newKey = try renderKey(after, index, change)
            let upsert = VersionedWrite(
                key: newKey, version: v, value: try value(after, index, change), ttlMilliseconds: ttlMs)
            if change.kind == .update, let before = change.before {
                let oldKey = try renderKey(before, index, change)
                if oldKey != newKey { return [VersionedWrite(key: oldKey, version: v, value: .delete), upsert] }
            }
            return [upsert]
        }
    }

    private func image(_ values: [ColumnValue]?, _ which: String, _ change: RowChange) throws(MappingError)
        -> [ColumnValue]
    {
        guard let values, values.count == change.columns.count else {
            throw MappingError(
                .missingImage, "\(change.kind.rawValue) without a full \(which) image",
                table: qualifiedTable, position: change.position)
        }
        return values
    }

    private func column(_ name: String, _ row: [ColumnValue], _ index: [String: Int], _ change: RowChange)
        throws(MappingError) -> ColumnValue
    {
        guard let i = index[name] else {
            throw MappingError(
                .unknownColumn, "column '\(name)' is not in the table (has: \(change.columns.joined(separator: ", ")))",
                table: qualifiedTable, position: change.position)
        }
        return try whole(row[i], name, change)
    }

    /// A mapped value must be the column's whole value: a JSON diff (MySQL PARTIAL_JSON updates)
    /// can't be applied without the stored document, so it stops the row instead of being written.
    private func whole(_ value: ColumnValue, _ name: String, _ change: RowChange) throws(MappingError) -> ColumnValue {
        if case .jsonDiff = value {
            throw MappingError(
                .partialValue,
                "column '\(name)' carries a JSON diff, not the document; run the source with "
                    + "binlog_row_value_options='' so mapped JSON columns are logged whole",
                table: qualifiedTable, position: change.position)
        }
        return value
    }

    func renderKey(_ row: [ColumnValue], _ index: [String: Int], _ change: RowChange) throws(MappingError) -> [UInt8] {
        var out: [UInt8] = []
        for part in key.parts {
            switch part {
            case .literal(let text): out.append(contentsOf: text.utf8)
            case .column(let name):
                guard let text = RedisValueText.text(try column(name, row, index, change)) else {
                    throw MappingError(
                        .nullKeyColumn, "key column '\(name)' is NULL (key template \(key.source))",
                        table: qualifiedTable, position: change.position)
                }
                out.append(contentsOf: text.utf8)
            }
        }
        if let prefix = KeyNamespace.reservedPrefix(of: out, in: reservedPrefixes) {
            throw MappingError(
                .reservedKey,
                "key \(QuotedString.quote(String(decoding: out.prefix(200), as: UTF8.self))) (template \(key.source)) "
                    + "starts with '\(prefix)', where sluice keeps its own data; the row is not written",
                table: qualifiedTable, position: change.position)
        }
        return out
    }

    private func selected(_ names: [String], _ row: [ColumnValue], _ index: [String: Int], _ change: RowChange)
        throws(MappingError) -> [(String, ColumnValue)]
    {
        var out: [(String, ColumnValue)] = []
        if names.isEmpty {
            for (n, v) in zip(change.columns, row) { out.append((n, try whole(v, n, change))) }
            return out
        }
        for n in names { out.append((n, try column(n, row, index, change))) }
        return out
    }

    private func value(_ row: [ColumnValue], _ index: [String: Int], _ change: RowChange) throws(MappingError)
        -> VersionedWrite.Value
    {
        switch shape {
        case .hash(let names):
            var fields: [VersionedWrite.Field] = []
            var nulls: [[UInt8]] = []
            for (name, value) in try selected(names, row, index, change) {
                if name == VersionKey.hashFieldName {
                    throw MappingError(
                        .reservedField, "column '\(name)' has the name of the hash field holding the row's version",
                        table: qualifiedTable, position: change.position)
                }
                if let text = RedisValueText.text(value) {
                    fields.append(VersionedWrite.Field(name, text))
                } else {
                    nulls.append(Array(name.utf8))
                }
            }
            return .hash(fields, removing: nulls)
        case .json(let names):
            return .string(Array(RedisValueText.jsonObject(try selected(names, row, index, change)).utf8))
        case .string(let name):
            return .string(RedisValueText.text(try column(name, row, index, change)).map { Array($0.utf8) })
        }
    }
}
