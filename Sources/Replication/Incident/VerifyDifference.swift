import RedisCluster

/// One way a key differs from its row. The text (`description`) is the line `sluice verify`
/// prints: `account:7: balance MySQL 10.50, Redis 9.50`.
package struct VerifyDifference: Sendable, Equatable, Hashable, CustomStringConvertible {
    package enum Kind: String, Sendable, Equatable, Hashable {
        /// A column's text differs (or is present on one side only).
        case value
        /// The stored version differs from the row's (version-column mappings).
        case version
        /// The row exists, its key does not.
        case missing
        /// The key exists, no row renders it (a tombstone's version key is not a key).
        case extra
    }

    package var key: String
    package var kind: Kind
    /// The column (`value`), `version`, or nil.
    package var column: String?
    package var mysql: String?
    package var redis: String?

    package init(key: String, kind: Kind, column: String? = nil, mysql: String? = nil, redis: String? = nil) {
        self.key = key
        self.kind = kind
        self.column = column
        self.mysql = mysql
        self.redis = redis
    }

    package var description: String {
        switch kind {
        case .value: return "\(key): \(column ?? "value") MySQL \(mysql ?? "(none)"), Redis \(redis ?? "(none)")"
        case .version: return "\(key): \(column ?? "version") MySQL \(mysql ?? "NULL"), Redis \(redis ?? "(none)")"
        case .missing: return "\(key): missing in Redis"
        case .extra: return "\(key): no row in MySQL, present in Redis"
        }
    }
}

/// Compares the writes a row maps to with what a cluster holds, many keys in one pipelined
/// round: the hash's fields (the version field aside) or the string's text, and the stored
/// version when the mapping has a `versionColumn` (a binlog-derived version has no row value to
/// compare with).
package enum StoredRows {
    /// `expected[i]` nil: the key must not exist (no row). Returns the differences per key.
    package static func compare(
        keys: [[UInt8]], expected: [VersionedWrite?], versionColumn: String?, in redis: RedisClusterClient
    ) throws -> [[VerifyDifference]] {
        var requests: [(RedisCommand, Int?)] = []
        requests.reserveCapacity(keys.count)
        for (key, write) in zip(keys, expected) {
            var cmd: RedisCommand
            if case .string = write?.value { cmd = RedisCommand("GET") } else { cmd = RedisCommand("HGETALL") }
            cmd.append(bytes: key)
            requests.append((cmd, HashSlot.slot(of: key)))
        }
        let replies = try redis.pipeline(requests)
        let versions = versionColumn == nil ? [] : try StoredVersion.read(redis, keys: keys)
        var out: [[VerifyDifference]] = []
        out.reserveCapacity(keys.count)
        for i in keys.indices {
            let key = String(decoding: keys[i], as: UTF8.self)
            var diffs: [VerifyDifference] = []
            let stored = Self.stored(replies[i])
            switch expected[i]?.value {
            case nil, .delete?:
                if stored.exists { diffs.append(VerifyDifference(key: key, kind: .extra)) }
            case .string(let text)?:
                let want = text.map { String(decoding: $0, as: UTF8.self) }
                if want != nil, !stored.exists {
                    diffs.append(VerifyDifference(key: key, kind: .missing))
                } else if want != stored.string {
                    diffs.append(VerifyDifference(key: key, kind: .value, mysql: want, redis: stored.string))
                }
            case .hash(let fields, _)?:
                var want: [String: String] = [:]
                for f in fields {
                    want[String(decoding: f.name, as: UTF8.self)] = String(decoding: f.value, as: UTF8.self)
                }
                if !want.isEmpty, !stored.exists {
                    diffs.append(VerifyDifference(key: key, kind: .missing))
                } else {
                    for name in Set(want.keys).union(stored.fields.keys).sorted()
                    where want[name] != stored.fields[name] {
                        diffs.append(
                            VerifyDifference(
                                key: key, kind: .value, column: name, mysql: want[name], redis: stored.fields[name]))
                    }
                }
            }
            if let versionColumn {
                let version = versions[i]
                if let write = expected[i], diffs.allSatisfy({ $0.kind != .missing }), version != write.version {
                    diffs.append(
                        VerifyDifference(
                            key: key, kind: .version, column: versionColumn, mysql: write.version, redis: version))
                }
            }
            out.append(diffs)
        }
        return out
    }

    private struct Stored {
        var exists = false
        var string: String?
        var fields: [String: String] = [:]
    }

    private static func stored(_ reply: RedisReply) -> Stored {
        var s = Stored()
        switch reply {
        case .bulk(let b):
            s.exists = true
            s.string = String(decoding: b, as: UTF8.self)
        case .array(let items):
            var i = 0
            while i + 1 < items.count {
                if let k = items[i].text, k != VersionKey.hashFieldName { s.fields[k] = items[i + 1].text ?? "" }
                i += 2
            }
            s.exists = !items.isEmpty
            if !s.exists { s.string = nil }
        case .error(let m):
            // WRONGTYPE: a key of another shape exists.
            s.exists = true
            s.string = "(\(m))"
            s.fields = ["(type)": m]
        default: break
        }
        return s
    }
}
