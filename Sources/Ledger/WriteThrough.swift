import Foundation
import RedisCluster

/// Writes accounts to the primary Redis cluster after their transfer committed, through the CDC
/// sink's version-checked function library: the key gets the account's columns as a hash, and
/// only when the account's `version` is newer than the one stored. The daemon, replicating the
/// shards, writes the same keys with the same versions (its mapping for `accounts` must use the
/// same key template, shape "hash", these six columns and `version = "column"`), so whichever
/// writer comes second is a no-op and a lost write-through is repaired by the daemon.
///
/// Request threads write concurrently, each through an applier (own cluster client) taken from
/// an idle list and made on demand by `makeClient`: no thread waits behind another's round trip.
package final class WriteThrough: @unchecked Sendable {
    package let keyTemplate: String
    private let makeClient: @Sendable () throws(RedisError) -> RedisClusterClient
    private let tombstoneTTLSeconds: Int64
    private let lock = NSLock()
    private var idle: [VersionedApplier] = []

    package init(
        keyTemplate: String, tombstoneTTLSeconds: Int64,
        makeClient: @escaping @Sendable () throws(RedisError) -> RedisClusterClient
    ) {
        self.keyTemplate = keyTemplate
        self.tombstoneTTLSeconds = tombstoneTTLSeconds
        self.makeClient = makeClient
    }

    package static let columns = ["id", "owner", "currency", "balance", "version", "status"]

    package func key(of id: Int64) -> String { keyTemplate.replacingOccurrences(of: "{id}", with: String(id)) }

    package func write(_ write: AccountState) -> VersionedWrite {
        let values = [
            String(write.id), write.owner, write.currency, String(write.balanceMinor), String(write.version),
            write.status,
        ]
        return VersionedWrite(
            key: key(of: write.id), version: String(write.version),
            value: .hash(zip(Self.columns, values).map { VersionedWrite.Field($0, $1) }))
    }

    /// Applies the accounts; throws when Redis refused or is unreachable (the daemon converges).
    @discardableResult
    package func apply(_ accounts: [AccountState]) throws(RedisError) -> [WriteOutcome] {
        let writes = accounts.map(write)
        let applier: VersionedApplier
        if let free = lock.withLock({ idle.popLast() }) {
            applier = free
        } else {
            applier = VersionedApplier(client: try makeClient(), tombstoneTTLSeconds: tombstoneTTLSeconds)
        }
        let outcomes = try applier.apply(writes)
        lock.withLock { idle.append(applier) }
        return outcomes
    }
}
