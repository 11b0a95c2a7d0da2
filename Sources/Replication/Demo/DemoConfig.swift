import Foundation
import Ops

/// The configuration `sluice demo` runs the daemon with: the sandbox's MariaDB, its primary Redis
/// cluster and its Kafka broker (one topic), the payments accounts mapping.
package enum DemoConfig {
    package static let topic = "sluice.demo"

    /// `metricsListen`: serve metrics there (else none); `logLevel`: the daemon's `[log] level`.
    package static func text(
        mariadbPort: Int, redis: [String], kafka: String, metricsListen: String? = nil, logLevel: String = "warning"
    ) -> String {
        """
        [source]
        host = "127.0.0.1"
        port = \(mariadbPort)
        user = "root"
        server_id = 4243
        start = "checkpoint-or-earliest"

        [filter]
        include = ["payments\\\\..*"]

        \(PaymentsWorkload.accountsMapping)
        clusters = ["primary"]

        [redis.primary]
        seeds = [\(redis.map { "\"\($0)\"" }.joined(separator: ", "))]
        mode = "cluster"

        [kafka]
        enabled = true
        brokers = ["\(kafka)"]
        topic_mode = "single"
        topic = "\(topic)"

        [metrics]
        \(metricsListen.map { "listen = \"\($0)\"" } ?? "enabled = false")

        [log]
        level = "\(logLevel)"
        """
    }

    /// Writes the file and loads it as `sluice run` would.
    package static func load(
        mariadbPort: Int, redis: [String], kafka: String, path: String
    ) throws -> SluiceConfig {
        try text(mariadbPort: mariadbPort, redis: redis, kafka: kafka).write(toFile: path, atomically: true, encoding: .utf8)
        switch SluiceConfig.load(path: path, environment: [:]) {
        case .success(let loaded): return loaded.config
        case .failure(let errors): throw errors
        }
    }
}
