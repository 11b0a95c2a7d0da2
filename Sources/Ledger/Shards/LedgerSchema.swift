import MySQLSource

/// The ledger's tables, the same on every shard. Accounts live on shard `id mod shard count`;
/// an entry lives on the shard of its idempotency key (`ShardMap.shard(ofKey:)`), whose unique
/// index makes a key usable once across the whole ledger.
package enum LedgerSchema {
    package static func statements(database: String) -> [String] {
        [
            "CREATE DATABASE IF NOT EXISTS `\(database)`",
            """
            CREATE TABLE IF NOT EXISTS `\(database)`.accounts (
              id BIGINT NOT NULL PRIMARY KEY,
              owner VARCHAR(64) NOT NULL,
              currency CHAR(3) NOT NULL,
              balance BIGINT NOT NULL COMMENT 'minor units',
              version BIGINT UNSIGNED NOT NULL DEFAULT 1,
              status VARCHAR(16) NOT NULL DEFAULT 'active',
              updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              CONSTRAINT balance_not_negative CHECK (balance >= 0)
            ) ENGINE=InnoDB
            """,
            """
            CREATE TABLE IF NOT EXISTS `\(database)`.entries (
              transfer_id VARCHAR(64) NOT NULL PRIMARY KEY,
              idempotency_key VARCHAR(128) NOT NULL,
              from_account BIGINT NOT NULL,
              to_account BIGINT NOT NULL,
              amount BIGINT NOT NULL COMMENT 'minor units',
              state VARCHAR(16) NOT NULL,
              from_balance BIGINT NOT NULL,
              from_version BIGINT UNSIGNED NOT NULL,
              to_balance BIGINT NOT NULL,
              to_version BIGINT UNSIGNED NOT NULL,
              created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              UNIQUE KEY idempotency (idempotency_key)
            ) ENGINE=InnoDB
            """,
        ]
    }

    /// Creates the schema on one shard (idempotent).
    package static func create(on connection: MySQLConnection, database: String) throws(MySQLError) {
        for statement in statements(database: database) { try connection.execute(statement) }
    }
}

/// Which shard holds what: accounts by `id mod count`, entries by a hash of the idempotency key.
package struct ShardMap: Sendable, Equatable {
    package let count: Int

    package init(count: Int) { self.count = max(1, count) }

    package func shard(ofAccount id: Int64) -> Int { Int(id.magnitude % UInt64(count)) }

    /// FNV-1a of the key's bytes: stable across processes and versions (never Swift's `hashValue`).
    package func shard(ofKey key: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    /// Every shard a transfer touches, ascending.
    package func shards(for request: TransferRequest) -> [Int] {
        Array(
            Set([shard(ofAccount: request.from), shard(ofAccount: request.to), shard(ofKey: request.idempotencyKey)])
        )
        .sorted()
    }
}

extension String {
    /// A single-quoted SQL string literal (backslashes and quotes escaped).
    package var sqlQuoted: String {
        var out = "'"
        for ch in self {
            switch ch {
            case "'": out += "''"
            case "\\": out += "\\\\"
            case "\0": out += "\\0"
            default: out.append(ch)
            }
        }
        return out + "'"
    }
}
