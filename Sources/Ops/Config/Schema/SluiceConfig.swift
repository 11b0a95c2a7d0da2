import Foundation

/// The whole configuration file, validated and typed. Load it with `SluiceConfig.load`.
package struct SluiceConfig: Sendable, Equatable {
    /// The binlog source; absent on a host that only runs the DR applier.
    package var source: SourceConfig?
    package var filter: FilterConfig
    package var mappings: [MappingConfig]
    /// `[redis.*]` clusters in file order.
    package var redis: [RedisConfig]
    package var kafka: KafkaConfig
    /// The DR applier; absent when this host doesn't run one.
    package var drApply: DRApplyConfig?
    package var metrics: MetricsConfig
    package var lag: LagConfig
    package var log: LogConfig
    package var daemon: DaemonConfig
    /// The companion write path (`sluice ledger`); absent when this host doesn't run one.
    package var ledger: LedgerConfig?
    /// Active/standby `sluice run`; absent: this instance always runs (no lease).
    package var ha: HAConfig?

    /// The `[redis.NAME]` cluster.
    package func redis(named name: String) -> RedisConfig? { redis.first { $0.name == name } }

    /// A valid configuration and its effective text (defaults filled in, secrets masked).
    package struct Loaded: Sendable, Equatable {
        package let config: SluiceConfig
        package let effective: String
    }

    /// Reads, parses and validates the file at `path`. Every problem is reported at once.
    /// `environment` supplies `${NAME}` values and `CREDENTIALS_DIRECTORY`.
    package static func load(path: String, environment: [String: String]) -> Result<Loaded, ConfigErrors> {
        let data: Data
        do {
            data = try FileReading.read(path)
        } catch {
            return .failure(
                ConfigErrors([
                    ConfigError(
                        .unreadableConfig, file: path, line: 0,
                        "cannot read the configuration file", cause: error.reason)
                ]))
        }
        guard var text = String(validating: data, as: UTF8.self) else {
            return .failure(ConfigErrors([ConfigError(.syntax, file: path, line: 0, "the file is not UTF-8 text")]))
        }
        // A UTF-8 byte-order mark (some Windows editors write one) is not part of the TOML.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        let directory = (path as NSString).deletingLastPathComponent
        return parse(text, file: path, directory: directory.isEmpty ? "." : directory, environment: environment)
    }

    /// Parses and validates `text`; `file` names it in messages, `directory` anchors relative paths.
    package static func parse(
        _ text: String, file: String, directory: String,
        environment: [String: String]
    ) -> Result<Loaded, ConfigErrors> {
        let root: TOMLTable
        switch TOMLParser.parse(text, file: file) {
        case .success(let table): root = table
        case .failure(let errors): return .failure(errors)
        }
        let context = ValidationContext(file: file, directory: directory, environment: environment)
        let reader = TableReader(context: context, path: "", table: root, line: 1)
        let config = read(reader)
        reader.finish()
        let errors = context.sortedErrors
        guard errors.isEmpty, let config else { return .failure(ConfigErrors(errors)) }
        return .success(
            Loaded(config: config, effective: reader.effective.render().trimmingCharacters(in: .newlines) + "\n"))
    }

    /// `version = "binlog"` (the default) derives versions from the MariaDB GTID, whose sequence per
    /// domain keeps rising across rotation and failover. A MySQL GTID (`uuid:n`) counts per server
    /// UUID and restarts on a promoted replica, and binlog file:offset restarts with the new
    /// primary's files, so no binlog-derived version of a MySQL source stays monotonic across a
    /// failover: refused for `flavor = "mysql"` (with `"auto"` the daemon refuses at the first
    /// row, MappingError.noBinlogVersion).
    /// A table's Kafka messages follow one set of `kafka_*` rules: those of its first
    /// `[[mapping]]`. A later mapping of the table (another key) must leave them out or repeat
    /// them; under `[dr_apply]` the columns it needs must not be hidden by those rules.
    private static func checkKafkaRulesPerTable(
        _ mappings: [MappingConfig], _ readers: [TableReader], consumedByDR: Bool
    ) {
        for (index, mapping) in mappings.enumerated() {
            guard let first = mappings[..<index].first(where: { $0.qualifiedTable == mapping.qualifiedTable }) else {
                continue
            }
            let rules: [(key: String, differs: Bool)] = [
                ("kafka_exclude_columns", mapping.kafkaExcludeColumns != first.kafkaExcludeColumns),
                ("kafka_mask_columns", mapping.kafkaMaskColumns != first.kafkaMaskColumns),
                ("kafka_key_columns", mapping.kafkaKeyColumns != first.kafkaKeyColumns),
            ]
            for rule in rules where rule.differs && readers[mapping.index].has(rule.key) {
                readers[mapping.index].badValue(
                    rule.key,
                    "\(mapping.qualifiedTable)'s Kafka messages follow the rules of its first [[mapping]] (line "
                        + "\(first.line)): set \(rule.key) there, the same in every mapping of the table, or leave it out here")
            }
            if consumedByDR {
                MappingConfig.checkReachesDR(
                    readers[mapping.index], needed: mapping.columnsNeeded, masks: first.kafkaMaskColumns,
                    excluded: first.kafkaExcludeColumns)
            }
        }
    }

    private static func refuseBinlogVersions(_ mappings: [TableReader]) {
        for reader in mappings {
            let value = reader.raw("version")
            guard value == nil || value?.content == .string("binlog") else { continue }
            reader.badValue(
                "version",
                "\(value == nil ? "defaults to" : "is") \"binlog\", which needs MariaDB GTIDs (a sequence that keeps "
                    + "rising across binlog rotation and failover); with a MySQL source (flavor = \"mysql\") GTIDs restart "
                    + "on a promoted replica, so versions could go back and changes be refused: set version = \"column\" "
                    + "with version_column naming the table's optimistic-lock column")
        }
    }

    private static func read(_ root: TableReader) -> SluiceConfig? {
        var source: SourceConfig?
        if root.has("source") {
            source = root.section("source", SourceConfig.init)
        } else {
            _ = root.raw("source")
        }

        let filter = root.section("filter", FilterConfig.init)

        // Redis before mappings (their default clusters), but printed after them.
        let redisReader = root.table("redis")
        var redis: [RedisConfig] = []
        let clusterReaders = redisReader.namedTables()
        for (name, reader) in clusterReaders {
            if let cluster = RedisConfig(name: name, reader) { redis.append(cluster) }
        }
        let drReader = root.has("dr_apply") ? root.table("dr_apply") : nil
        if drReader == nil { _ = root.raw("dr_apply") }
        let clusterNames = clusterReaders.map(\.name)
        let drCluster = drReader.map { DRApplyConfig.readCluster($0, clusterNames: clusterNames) }
        let defaultClusters = clusterNames.filter { $0 != drCluster }

        let mappingReaders = root.arrayOfTables("mapping")
        let mappings = mappingReaders.enumerated().compactMap { index, reader in
            MappingConfig(
                index: index, reader, knownClusters: clusterNames, defaultClusters: defaultClusters,
                reservedPrefixes: KeyNamespace.reserved(checkpointPrefixes: redis.map(\.checkpointPrefix)),
                consumedByDR: drReader != nil)
        }
        Self.checkKafkaRulesPerTable(mappings, mappingReaders, consumedByDR: drReader != nil)
        root.attach("mapping", mappingReaders)
        for (name, reader) in clusterReaders { redisReader.attach(name, reader) }
        root.attach("redis", redisReader)
        let kafka = root.section("kafka") { KafkaConfig(
                $0, consumedByDR: drReader != nil,
                hashMasks: mappings.contains { $0.kafkaMaskColumns.contains { $0.rule == .hash } }) }
        if source?.flavor == .mysql { refuseBinlogVersions(mappingReaders) }

        var drApply: DRApplyConfig?
        if let drReader, let drCluster {
            let topics = Array(Set(mappings.map { kafka.topic(database: $0.database, table: $0.table) })).sorted()
            drApply = DRApplyConfig(drReader, redisCluster: drCluster, defaultTopics: topics)
            root.attach("dr_apply", drReader)
        }

        if !root.has("source"), drReader == nil, !root.has("ledger") {
            root.context.error(
                .missingRequired, line: 0, keyPath: "",
                "nothing to run: configure [source] (the binlog daemon) and/or [dr_apply] (the DR applier)")
        }

        let metrics = root.section("metrics", MetricsConfig.init)
        let lag = root.section("lag", LagConfig.init)
        let log = root.section("log", LogConfig.init)
        let daemon = root.section("daemon", DaemonConfig.init)
        var ledger: LedgerConfig?
        if root.has("ledger") {
            ledger = root.section("ledger") { LedgerConfig($0, clusterNames: clusterNames) }
        } else {
            _ = root.raw("ledger")
        }

        var ha: HAConfig?
        if root.has("ha") {
            ha = root.section("ha") { HAConfig($0, clusterNames: clusterNames) }
        } else {
            _ = root.raw("ha")
        }

        if root.has("source"), source == nil { return nil }
        return SluiceConfig(
            source: source, filter: filter, mappings: mappings, redis: redis, kafka: kafka,
            drApply: drApply, metrics: metrics, lag: lag, log: log, daemon: daemon, ledger: ledger, ha: ha)
    }
}
