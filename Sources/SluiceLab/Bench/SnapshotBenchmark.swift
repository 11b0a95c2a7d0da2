import Binlog
import Foundation
import MySQLSource
import RedisCluster
import Replication
import Timekeeping

/// `sluice bench snapshot`: `ClusterSnapshot` of a 6-column accounts table, and in the same run
/// on the same cluster the ceiling: the same keys and fields written as pipelined HSETs (no
/// version check; the rows read from MySQL and mapped beforehand, only the Redis time counted).
package enum SnapshotBenchmark {
    package static let table = "bench.accounts"

    package static let schema = [
        "CREATE DATABASE IF NOT EXISTS bench",
        """
        CREATE TABLE bench.accounts (id BIGINT PRIMARY KEY, owner VARCHAR(64) NOT NULL,
        currency CHAR(3) NOT NULL, balance DECIMAL(18,2) NOT NULL, updated_at DATETIME(6) NOT NULL,
        version BIGINT UNSIGNED NOT NULL)
        """,
    ]

    /// The configuration the benchmark runs with: the sandbox's MariaDB and cluster, this table.
    package static func config(mariadbPort: Int, redis: [String]) -> String {
        """
        [source]
        host = "127.0.0.1"
        port = \(mariadbPort)
        user = "root"
        server_id = 4244

        [filter]
        include = ["bench\\\\..*"]

        \(mapping)

        [redis.primary]
        seeds = [\(redis.map { "\"\($0)\"" }.joined(separator: ", "))]
        mode = "cluster"

        [kafka]
        enabled = false

        [metrics]
        enabled = false
        """
    }

    package static let mapping = """
        [[mapping]]
        table = "bench.accounts"
        key = "acct:{id}"
        shape = "hash"
        version = "column"
        version_column = "version"
        clusters = ["primary"]
        """

    /// Inserts `rows` rows, 5,000 per statement.
    package static func load(rows: Int, on mysql: MySQLConnection, progress: (Int) -> Void = { _ in }) throws {
        for s in schema { try mysql.execute(s) }
        var id = 1
        while id <= rows {
            let last = min(rows, id + 4999)
            let values = (id...last).map { i in
                "(\(i),'owner-\(i)','\(["EUR", "USD", "GBP"][i % 3])',\(i % 100000).\(String(format: "%02d", i % 100)),"
                    + "'2026-01-01 00:00:00.\(String(format: "%06d", i % 1_000_000))',\(1 + i % 7))"
            }
            try mysql.execute("INSERT INTO bench.accounts VALUES " + values.joined(separator: ","))
            id = last + 1
            progress(last)
        }
    }

    /// The plain HSET standing for one write: its fields and version field (a delete: the version
    /// field alone, the size of a tombstone), with its slot.
    package static func hset(_ w: VersionedWrite) -> (RedisCommand, Int?) {
        var c = RedisCommand("HSET")
        c.append(bytes: w.key)
        if case .hash(let fields, _) = w.value {
            for f in fields {
                c.append(bytes: f.name)
                c.append(bytes: f.value)
            }
        }
        c.append(VersionKey.hashFieldName)
        c.append(w.version)
        return (c, HashSlot.slot(of: w.key))
    }

    /// The pipelined-HSET ceiling for the table's keys: rows/s of the Redis writes alone.
    package static func hsetCeiling(
        mapping: TableMapping, mysql: MySQLConnection, redis: RedisClusterClient, chunkRows: Int
    ) throws -> (rows: Int, seconds: Double) {
        let table = try SourceTable(database: mapping.database, table: mapping.table, connection: mysql)
        var chunks = TableChunks(table: table, chunkRows: chunkRows, gtid: nil)
        var rows = 0
        var seconds = 0.0
        let position = BinlogPosition(file: "", offset: 0)
        while true {
            let changes = try chunks.next(on: mysql, at: position)
            if changes.isEmpty { break }
            var requests: [(RedisCommand, Int?)] = []
            requests.reserveCapacity(changes.count)
            for change in changes {
                for w in try mapping.writes(for: change) { requests.append(hset(w)) }
            }
            let started = Stopwatch()
            let replies = try redis.pipeline(requests)
            seconds += started.seconds
            if let bad = replies.first(where: { $0.isError }) { throw RedisError(.server, "HSET failed: \(bad)") }
            rows += changes.count
        }
        return (rows, seconds)
    }
}
