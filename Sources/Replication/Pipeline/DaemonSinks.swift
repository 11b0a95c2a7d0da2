import Ops
import RedisCluster

/// The sinks `sluice run` feeds, made from the configuration: the one place a sink is registered
/// (ARCHITECTURE.md, "How to add a sink"). The primary cluster's sink is always there and is
/// also where the lease's fence is raised; the Kafka sink is there when `[kafka] enabled`, with
/// its checkpoint in the primary cluster over a client of its own.
struct DaemonSinks {
    let redis: RedisSink
    /// Every sink, in the order the pipeline starts them (the Redis sink first).
    let all: [any Sink]

    var kafkaEnabled: Bool { all.contains { $0 is KafkaPipelineSink } }

    static func make(config: SluiceConfig, cluster: String, logger: Logger, metrics: SinkMetrics) throws -> DaemonSinks
    {
        let redis = try RedisSink.make(config: config, cluster: cluster)
        try redis.prepare()
        var all: [any Sink] = [redis]
        if config.kafka.enabled, let c = config.redis(named: cluster) {
            let kafka = KafkaSink(
                settings: KafkaSink.Settings(config: config.kafka, mappings: config.mappings),
                mappings: config.mappings.map { TableMapping(config: $0) }, logger: logger,
                observer: metrics.kafkaObserver())
            let client = try RedisClusterClient(topology: RedisTopology(config: c), options: RedisOptions(config: c))
            all.append(
                KafkaPipelineSink(kafka, checkpoints: CheckpointStore(client: client, prefix: c.checkpointPrefix)))
        }
        return DaemonSinks(redis: redis, all: all)
    }

    /// Each sink's stored checkpoint, in the order of `all` (nil: none yet). The daemon resumes
    /// from the oldest (`SinkCheckpoint.resumePoint`).
    func checkpoints() throws -> [SinkCheckpoint?] {
        try all.map { try $0.loadCheckpoint() }
    }
}
