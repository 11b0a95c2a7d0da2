import MySQLSource
import RedisCluster
import Replication

/// The demo's and the tests' one-shot comparison of a mapped table with its keys: `sluice
/// verify`'s engine (`ClusterVerifier`) without waiting for the daemon and without the key scan,
/// plus keys of rows known to be deleted, which must be absent.
package struct ConsistencyCheck: Sendable, Equatable {
    package var rowsChecked = 0
    /// One line per difference, e.g. `account:7: balance MySQL 10.50, Redis 9.50`.
    package var differences: [String] = []
    /// Keys whose stored version is newer than their row's: the cluster holds a change MySQL
    /// does not have.
    package var aheadKeys: Set<String> = []
    /// Keys that differ otherwise: missing, an older version, another value, or a deleted row's
    /// key still present: the cluster lacks a change MySQL has.
    package var behindKeys: Set<String> = []

    package var consistent: Bool { differences.isEmpty }

    package var summary: String {
        consistent
            ? "consistent: \(rowsChecked) row(s) of MySQL equal their Redis keys and versions"
            : "NOT consistent: \(differences.count) difference(s) in \(rowsChecked) row(s):\n  "
                + differences.prefix(20).joined(separator: "\n  ")
    }

    /// Compares `mapping`'s table with `redis`; `deletedKeys` must be absent.
    package init(mapping: TableMapping, mysql: MySQLConnection, redis: RedisClusterClient, deletedKeys: [String] = [])
        throws
    {
        var options = ClusterVerifier.Options()
        options.extraKeys = false
        options.recheckRounds = 0
        let report = try ClusterVerifier(
            mappings: [mapping], mysql: mysql, redis: redis, options: options, checkpoint: { nil }
        ).run()
        rowsChecked = report.rowsChecked
        differences = report.differences.map(\.description)
        for difference in report.differences {
            if difference.kind == .version, let stored = difference.redis.flatMap({ UInt64($0) }),
                let row = difference.mysql.flatMap({ UInt64($0) }), stored > row
            {
                aheadKeys.insert(difference.key)
            }
        }
        behindKeys = Set(report.differences.map(\.key)).subtracting(aheadKeys)
        for key in deletedKeys {
            let reply = try redis.send(RedisCommand("EXISTS", key), key: key)
            if reply.int != 0 {
                differences.append("\(key): deleted in MySQL, present in Redis")
                behindKeys.insert(key)
            }
        }
    }

    /// The row version the sinks stored for `key` (a deleted row's stays as its tombstone), nil
    /// when none. The one place tests and the demo read versions, so a change of where versions
    /// live changes here only.
    package static func storedVersion(of key: String, in redis: RedisClusterClient) throws -> String? {
        try StoredVersion.read(redis, key: key)
    }
}
