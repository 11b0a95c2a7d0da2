import Binlog
import MySQLSource
import Ops
import RedisCluster

/// The cluster an incident command works on, resolved from the configuration before anything is
/// read or written: its `[redis.NAME]` section and the mappings it holds (a DR cluster, the one
/// `[dr_apply]` writes, holds every mapping), optionally narrowed to `--tables`.
package struct IncidentTarget {
    package let cluster: String
    package let redis: RedisConfig
    package let mappings: [TableMapping]
    package let isDR: Bool

    /// Throws `.unknownCluster` for a name without a section or without mappings, `.unmappedTable`
    /// for a `tables` entry (`db.table`) no mapping of the cluster covers.
    package init(config: SluiceConfig, cluster: String, tables: [String] = []) throws(IncidentError) {
        guard let redis = config.redis(named: cluster) else {
            let known = config.redis.map(\.name).sorted().joined(separator: ", ")
            throw IncidentError(
                .unknownCluster, "no [redis.\(cluster)] section in the configuration (clusters: \(known))")
        }
        self.cluster = cluster
        self.redis = redis
        isDR = config.drApply?.redisCluster == cluster
        var mappings = config.mappings.map { TableMapping(config: $0) }
        if isDR {
            for i in mappings.indices { mappings[i].clusters = [cluster] }
        } else {
            mappings = mappings.filter { $0.clusters.contains(cluster) }
        }
        guard !mappings.isEmpty else {
            throw IncidentError(.unknownCluster, "no [[mapping]] writes to cluster '\(cluster)'")
        }
        if !tables.isEmpty {
            let known = Set(mappings.map(\.qualifiedTable))
            for t in tables where !known.contains(t) {
                throw IncidentError(
                    .unmappedTable,
                    "table '\(t)' is not mapped to cluster '\(cluster)' (mapped: \(known.sorted().joined(separator: ", ")))"
                )
            }
            mappings = mappings.filter { tables.contains($0.qualifiedTable) }
        }
        self.mappings = mappings
    }

    /// `--tables a.b,c.d` (also repeated) as a list.
    package static func tables(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// A client of the cluster (connected, slot map loaded).
    package func client() throws -> RedisClusterClient {
        try RedisClusterClient(topology: RedisTopology(config: redis), options: RedisOptions(config: redis))
    }

    /// The sink the daemon (or the DR applier) writes this cluster with: same apply, same
    /// settings, same checkpoint key; its library loaded.
    package func sink() throws -> RedisSink {
        let sink = RedisSink(
            name: cluster, client: try client(), mappings: mappings, settings: RedisSink.Settings(config: redis))
        try sink.prepare()
        return sink
    }

    /// The checkpoint store of this cluster (the key `sluice run` keeps for it).
    package func checkpoints(_ client: RedisClusterClient) -> CheckpointStore {
        CheckpointStore(client: client, prefix: redis.checkpointPrefix)
    }

    /// A connection to `[source]`.
    package static func source(_ config: SluiceConfig) throws -> MySQLConnection {
        guard let s = config.source else { throw IncidentError(.noSource, "the configuration has no [source] section") }
        return try MySQLConnection(MySQLEndpoint(config: s))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
