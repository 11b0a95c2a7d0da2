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
        return try withApplier { applier throws(RedisError) in try applier.apply(writes) }
    }

    /// Reads the accounts' keys (L2 of `AccountReads`): one HMGET of the six columns per id, in
    /// one pipeline. nil for an id whose key is absent (never written, or a tombstone) or lacks
    /// a column.
    package func read(_ ids: [Int64]) throws(RedisError) -> [AccountState?] {
        guard !ids.isEmpty else { return [] }
        let requests = ids.map { id -> (RedisCommand, Int?) in
            let key = key(of: id)
            var command = RedisCommand("HMGET", key)
            for column in Self.columns { command.append(column) }
            return (command, HashSlot.slot(of: key))
        }
        let replies = try withApplier { applier throws(RedisError) in try applier.client.pipeline(requests) }
        return replies.map(Self.account)
    }

    /// An HMGET reply of `columns` as an account.
    static func account(_ reply: RedisReply) -> AccountState? {
        guard case .array(let items) = reply, items.count == columns.count else { return nil }
        let texts = items.map { item -> String? in
            if case .bulk(let bytes) = item { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
        guard let idText = texts[0], let id = Int64(idText), let owner = texts[1], let currency = texts[2],
            let balanceText = texts[3], let balance = Int64(balanceText), let versionText = texts[4],
            let version = UInt64(versionText), let status = texts[5]
        else { return nil }
        return AccountState(
            id: id, owner: owner, currency: currency, balanceMinor: balance, version: version, status: status)
    }

    /// Runs `body` with an idle applier (own cluster client), made on demand; an applier whose
    /// call failed is dropped (its connections may be broken).
    private func withApplier<T>(_ body: (VersionedApplier) throws(RedisError) -> T) throws(RedisError) -> T {
        let applier: VersionedApplier
        if let free = lock.withLock({ idle.popLast() }) {
            applier = free
        } else {
            applier = VersionedApplier(client: try makeClient(), tombstoneTTLSeconds: tombstoneTTLSeconds)
        }
        let value = try body(applier)
        lock.withLock { idle.append(applier) }
        return value
    }
}
