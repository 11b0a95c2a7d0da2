/// Reads the version the apply stored for a key, the way the apply itself does: the hash's
/// `sluice:v` field when the key is a hash holding it, else the version key (tombstone, string
/// row, a hash written before the field existed). Two reads, not atomic together (the field's is
/// sent first); still a reader polling a key never sees its version go down: the field is present
/// only while it holds the newest version, and the version key only ever moves up (or expires).
package enum StoredVersion {
    /// The stored version's decimal text, or nil when the key has none (never written, or its
    /// tombstone expired).
    package static func read(_ client: RedisClusterClient, key: [UInt8]) throws(RedisError) -> String? {
        try read(client, keys: [key])[0]
    }

    package static func read(_ client: RedisClusterClient, key: String) throws(RedisError) -> String? {
        try read(client, key: Array(key.utf8))
    }

    /// The versions of many keys in one pipelined round over the cluster (two commands per key).
    package static func read(_ client: RedisClusterClient, keys: [[UInt8]]) throws(RedisError) -> [String?] {
        var requests: [(RedisCommand, Int?)] = []
        requests.reserveCapacity(keys.count * 2)
        for key in keys {
            var hget = RedisCommand("HGET")
            hget.append(bytes: key)
            hget.append(VersionKey.hashFieldName)
            let vkey = VersionKey.of(key)
            var get = RedisCommand("GET")
            get.append(bytes: vkey)
            let slot = HashSlot.slot(of: key)
            requests.append((hget, slot))
            requests.append((get, slot))
        }
        let replies = try client.pipeline(requests)
        var out: [String?] = []
        out.reserveCapacity(keys.count)
        for (i, key) in keys.enumerated() {
            let field = replies[2 * i]
            let stored = replies[2 * i + 1]
            if case .bulk(let b) = field {
                out.append(String(decoding: b, as: UTF8.self))
                continue
            }
            for (reply, what) in [(field, "HGET of the version field"), (stored, "GET of the version key")] {
                if let m = reply.errorMessage, !m.hasPrefix("WRONGTYPE") {
                    throw RedisError(
                        RedisError.code(forServerError: m),
                        "\(what) of '\(String(decoding: key, as: UTF8.self))' failed: \(m)")
                }
            }
            if case .bulk(let b) = stored { out.append(String(decoding: b, as: UTF8.self)) } else { out.append(nil) }
        }
        return out
    }
}
