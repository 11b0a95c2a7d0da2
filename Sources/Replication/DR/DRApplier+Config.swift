import Foundation
import Ops
import RedisCluster

extension KafkaConfig {
    /// librdkafka properties every sluice client needs: `[kafka.properties]`, then brokers,
    /// client id, TLS and SASL (the config refuses those keys in `[kafka.properties]`).
    package var clientProperties: [String: String] {
        var p = properties
        p["bootstrap.servers"] = brokers.map(\.description).joined(separator: ",")
        p["client.id"] = clientID
        let useTLS = tls.mode != .disabled
        let useSASL = sasl.mechanism != .none
        p["security.protocol"] = useTLS ? (useSASL ? "sasl_ssl" : "ssl") : (useSASL ? "sasl_plaintext" : "plaintext")
        if useTLS {
            p["enable.ssl.certificate.verification"] = tls.mode == .required ? "false" : "true"
            p["ssl.endpoint.identification.algorithm"] = tls.mode == .verifyIdentity ? "https" : "none"
            if let ca = tls.files.ca { p["ssl.ca.location"] = ca }
            if let cert = tls.files.cert { p["ssl.certificate.location"] = cert }
            if let key = tls.files.key { p["ssl.key.location"] = key }
        }
        if useSASL {
            p["sasl.mechanisms"] = sasl.mechanism.rawValue
            if let user = sasl.user { p["sasl.username"] = user }
            if let password = sasl.password { p["sasl.password"] = password.revealed }
        }
        return p
    }
}

extension DRApplier {
    /// The applier of `[dr_apply]`: its topics and partitions, the `[redis.NAME]` cluster it
    /// writes, every `[[mapping]]`, the `[kafka]` brokers. Connects to the DR cluster (its slot map).
    /// `sleep` is called for every pause while holding (a liveness sign for the watchdog).
    package static func make(config: SluiceConfig, logger: Logger, metrics: DRMetrics?,
                             sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws -> DRApplier {
        guard let dr = config.drApply else {
            throw DRError(.config, "the configuration has no [dr_apply] section", place: "configuration")
        }
        guard let redis = config.redis(named: dr.redisCluster) else {
            throw DRError(.config, "no [redis.\(dr.redisCluster)] section in the configuration", place: "configuration")
        }
        let client = try RedisClusterClient(topology: RedisTopology(config: redis), options: RedisOptions(config: redis))
        var properties = config.kafka.clientProperties
        properties["group.id"] = dr.groupID
        let settings = Settings(
            topics: dr.topics, partitions: dr.partitions.map { Int32(clamping: $0) }, cluster: dr.redisCluster,
            offsetsPrefix: "sluice:dr:offsets:", batchSize: max(redis.batchRows, 1), onGap: dr.onGap,
            tombstoneTTLSeconds: Int64(redis.tombstoneTTLSeconds), rowsPerCall: min(max(redis.batchRows, 1), 1000),
            compacted: config.kafka.tombstones)
        return try DRApplier(
            consumerProperties: properties, client: client,
            mappings: config.mappings.map { TableMapping(config: $0) }, settings: settings, logger: logger,
            metrics: metrics, sleep: sleep)
    }
}
