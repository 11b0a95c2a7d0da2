import RedisCluster

extension RedisSink {
    /// This sink's cluster as a checkpoint store, over this sink's client: use it only from the
    /// thread that uses the sink.
    package var checkpoints: CheckpointStore {
        let store = CheckpointStore(client: applier.client, prefix: settings.checkpointPrefix)
        store.fence = applier.fence
        return store
    }
}
