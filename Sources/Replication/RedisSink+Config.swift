import Ops
import RedisCluster

extension RedisOptions {
    /// Connection settings of one `[redis.NAME]` section.
    package init(config c: RedisConfig) {
        self.init(
            connectTimeout: Double(c.connectTimeoutMS) / 1000, commandTimeout: Double(c.commandTimeoutMS) / 1000,
            username: c.user, password: c.password?.revealed, tls: RedisTLS(config: c.tls))
    }
}

extension RedisTLS {
    /// nil when `[redis.NAME.tls] mode` is "disabled".
    package init?(config tls: ClientTLS) {
        let mode: Mode
        switch tls.mode {
        case .disabled: return nil
        case .required: mode = .required
        case .verifyCA: mode = .verifyCA
        case .verifyIdentity: mode = .verifyIdentity
        }
        self.init(mode: mode, ca: tls.files.ca, cert: tls.files.cert, key: tls.files.key)
    }
}

extension RedisTopology {
    package init(config c: RedisConfig) {
        let seeds = c.seeds.map { RedisEndpoint(host: $0.host, port: $0.port) }
        switch c.mode {
        case .cluster: self = .cluster(seeds: seeds)
        case .standalone:
            // The config allows exactly one address here; none leaves a cluster without seeds,
            // which the client rejects with a usage error.
            self = seeds.first.map { .standalone($0) } ?? .cluster(seeds: [])
        }
    }
}

extension RedisSink.Settings {
    package init(config c: RedisConfig) {
        self.init(
            waitReplicas: c.waitReplicas, waitTimeoutMilliseconds: c.waitTimeoutMS,
            tombstoneTTLSeconds: Int64(c.tombstoneTTLSeconds), checkpointPrefix: c.checkpointPrefix,
            rowsPerCall: min(max(c.batchRows, 1), 1000))
    }
}

extension RedisSink {
    /// One sink per `[redis.NAME]` section: its own client, the mappings that list it, its own
    /// checkpoint. Connects and loads the slot map; call `prepare()` to load the library.
    package static func make(config: SluiceConfig, cluster name: String, binlogDomain: UInt32 = 0) throws -> RedisSink {
        guard let c = config.redis(named: name) else {
            throw RedisError(.usage, "no [redis.\(name)] section in the configuration")
        }
        let client = try RedisClusterClient(topology: RedisTopology(config: c), options: RedisOptions(config: c))
        return RedisSink(
            name: name, client: client,
            mappings: config.mappings.map {
                TableMapping(
                    config: $0, binlogDomain: binlogDomain,
                    reservedPrefixes: KeyNamespace.reserved(checkpointPrefixes: [c.checkpointPrefix]))
            },
            settings: Settings(config: c))
    }
}
