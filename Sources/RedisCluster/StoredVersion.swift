/// Reads the version the apply stored for a key, the way the apply itself does: the hash's
/// `sluice:v` field when the key is a hash holding it, else the version key (tombstone, string
/// row, a hash written before the field existed). Two reads, not atomic together; still a
/// reader polling a key never sees its version go down: the field is present only while it is
/// the newest version, and the version key only ever moves up (or expires).
public enum StoredVersion {
    /// The stored version's decimal text, or nil when the key has none (never written, or its
    /// tombstone expired).
    public static func read(_ client: RedisClusterClient, key: [UInt8]) throws(RedisError) -> String? {
        var hget = RedisCommand("HGET")
        hget.append(bytes: key)
        hget.append(VersionKey.hashFieldName)
        let field = try client.send(hget, key: key)
        if case .bulk(let b) = field { return String(decoding: b, as: UTF8.self) }
        if let m = field.errorMessage, !m.hasPrefix("WRONGTYPE") {
            throw RedisError(RedisError.code(forServerError: m), "HGET of the version field failed: \(m)")
        }
        let vkey = VersionKey.of(key)
        var get = RedisCommand("GET")
        get.append(bytes: vkey)
        let stored = try client.send(get, key: vkey)
        if let m = stored.errorMessage {
            throw RedisError(RedisError.code(forServerError: m), "GET of the version key failed: \(m)")
        }
        if case .bulk(let b) = stored { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    public static func read(_ client: RedisClusterClient, key: String) throws(RedisError) -> String? {
        try read(client, key: Array(key.utf8))
    }
}
