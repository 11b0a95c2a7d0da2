import RedisCluster

/// Sink checkpoints kept in a Redis cluster (`<prefix>{<sink>}` hashes, see `SinkCheckpoint`),
/// over a client of its own: the Kafka sink's thread stores its checkpoint in the primary cluster
/// without sharing the Redis sink's connections.
package final class CheckpointStore {
    package let client: RedisClusterClient
    package let prefix: String
    /// The lease holder's fencing token: when set, `store` is refused once a newer holder exists.
    package var fence: FenceToken?

    package init(client: RedisClusterClient, prefix: String) {
        self.client = client
        self.prefix = prefix
    }

    /// The sink's checkpoint, nil when it never advanced.
    package func load(sink: String) throws(RedisError) -> SinkCheckpoint? {
        let key = SinkCheckpoint.key(prefix: prefix, sink: sink)
        let reply = try client.send(RedisCommand("HGETALL", key), key: key)
        if let m = reply.errorMessage { throw RedisError(.server, "reading checkpoint \(key) failed: \(m)") }
        return try SinkCheckpoint.parse(reply, key: key)
    }

    /// True when every one of `sinks` has its checkpoint at `file`:`offset` (the source's end, from
    /// SHOW MASTER STATUS): they caught up with it. False too while one cannot be read.
    package func allAt(file: String, offset: UInt64, sinks: [String]) -> Bool {
        sinks.allSatisfy { sink in
            guard let c = try? load(sink: sink) else { return false }
            return c.position.file == file && c.position.offset == offset
        }
    }

    /// Deletes the sink's checkpoint (a rewind to before its first one).
    package func remove(sink: String) throws(RedisError) {
        let key = SinkCheckpoint.key(prefix: prefix, sink: sink)
        let reply = try client.send(RedisCommand("DEL", key), key: key)
        if let m = reply.errorMessage {
            throw RedisError(RedisError.code(forServerError: m), "removing checkpoint \(key) failed: \(m)")
        }
    }

    package func store(_ checkpoint: SinkCheckpoint, sink: String) throws(RedisError) {
        let key = SinkCheckpoint.key(prefix: prefix, sink: sink)
        let reply = try client.send(checkpoint.writeCommand(key: key, fence: fence?.token), key: key)
        if let m = reply.errorMessage {
            throw RedisError(RedisError.code(forServerError: m), "writing checkpoint \(key) failed: \(m)")
        }
    }
}
