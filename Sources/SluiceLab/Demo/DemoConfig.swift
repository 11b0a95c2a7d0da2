import Foundation
import Ops

/// The configuration `sluice demo` runs the daemon and the DR applier with: the sandbox's MariaDB,
/// its primary Redis cluster, its Kafka broker (one topic), the payments accounts mapping and,
/// given the DR cluster's addresses, `[redis.dr]` and `[dr_apply]` (one file serves `sluice run`,
/// `sluice dr-apply` and `sluice status`).
package enum DemoConfig {
    package static let topic = "sluice.demo"
    /// The DR cluster's `[redis.NAME]`.
    package static let drCluster = "dr"

    /// `kafka`: the broker (nil: no Kafka sink); `dr`: the DR cluster's seeds (else no DR
    /// sections); `metricsListen`: serve metrics there (else none); `logLevel`: the `[log] level`;
    /// `primarySettings`: more lines of `[redis.primary]` (e.g. `wait_replicas = 1`);
    /// `ledgerJournal`: replicate the ledger's accounts instead of the payments workload's, and
    /// add a `[ledger]` on the same MariaDB (one shard) with its journal in that folder,
    /// writing through to the primary cluster.
    package static func text(
        mariadbPort: Int, redis: [String], kafka: String?, dr: [String]? = nil, metricsListen: String? = nil,
        logLevel: String = "warning", primarySettings: [String] = [], ledgerJournal: String? = nil
    ) -> String {
        """
        [source]
        host = "127.0.0.1"
        port = \(mariadbPort)
        user = "root"
        server_id = 4243
        start = "checkpoint-or-earliest"

        [filter]
        include = ["\(ledgerJournal == nil ? "payments" : "ledger")\\\\..*"]

        \(ledgerJournal == nil ? PaymentsWorkload.accountsMapping : ledgerAccountsMapping)
        clusters = ["primary"]

        [redis.primary]
        seeds = [\(redis.map { "\"\($0)\"" }.joined(separator: ", "))]
        mode = "cluster"
        \(primarySettings.map { $0 + "\n" }.joined())\(dr.map(drSections) ?? "")
        \(kafka.map(kafkaSection) ?? "[kafka]\nenabled = false\n")

        [metrics]
        \(metricsListen.map { "listen = \"\($0)\"" } ?? "enabled = false")

        [log]
        level = "\(logLevel)"
        \(ledgerJournal.map { ledgerSection(journal: $0, mariadbPort: mariadbPort) } ?? "")
        """
    }

    /// The `[[mapping]]` of the ledger's accounts, writing the same hashes as its write-through
    /// (docs/ledger.md, "The daemon is the safety net").
    package static let ledgerAccountsMapping = """
        [[mapping]]
        table = "ledger.accounts"
        key = "account:{id}"
        shape = "hash"
        columns = ["id", "owner", "currency", "balance", "version", "status"]
        version = "column"
        version_column = "version"
        """

    private static func ledgerSection(journal: String, mariadbPort: Int) -> String {
        """

        [ledger]
        journal_dir = "\(journal)"
        redis_cluster = "primary"

        [[ledger.shard]]
        host = "127.0.0.1"
        port = \(mariadbPort)
        user = "root"
        """
    }

    private static func kafkaSection(_ broker: String) -> String {
        """
        [kafka]
        enabled = true
        brokers = ["\(broker)"]
        topic_mode = "single"
        topic = "\(topic)"

        """
    }

    private static func drSections(_ seeds: [String]) -> String {
        """

        [redis.\(drCluster)]
        seeds = [\(seeds.map { "\"\($0)\"" }.joined(separator: ", "))]
        mode = "cluster"

        [dr_apply]
        redis_cluster = "\(drCluster)"
        topics = ["\(topic)"]

        """
    }

    /// Writes the file and loads it as `sluice run` would.
    package static func load(
        mariadbPort: Int, redis: [String], kafka: String, dr: [String]? = nil, path: String,
        primarySettings: [String] = [], ledgerJournal: String? = nil
    ) throws -> SluiceConfig {
        let text = text(
            mariadbPort: mariadbPort, redis: redis, kafka: kafka, dr: dr, primarySettings: primarySettings,
            ledgerJournal: ledgerJournal)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        switch SluiceConfig.load(path: path, environment: [:]) {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw errors
        }
    }
}
