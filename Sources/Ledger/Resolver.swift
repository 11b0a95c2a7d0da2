import Foundation
import MySQLSource
import Ops

/// XA branches the serving coordinator could not finish on the spot (a shard lost in the middle):
/// a prepared branch outlives its connection and holds its row locks until someone commits or
/// rolls it back. The serving process retries them every `interval` on fresh connections, so it
/// does not wait for the next `ledger recover`:
/// - a commit (the decision is durable) is retried until the shard answers, then the transfer
///   is written through;
/// - a rollback (no decision) likewise;
/// - a one-phase commit whose answer was lost is settled from the shard's entry row;
/// - "unknown XID" (XAER_NOTA, 1397) means the branch is already resolved (e.g. the shard
///   committed it but its answer was lost): done.
package final class Resolver: @unchecked Sendable {
    package struct Item: Sendable, Equatable {
        package enum Kind: Sendable, Equatable {
            /// XA COMMIT a prepared branch (the decision is durable).
            case commit
            /// XA ROLLBACK a branch (no decision).
            case rollback
            /// A one-phase commit whose answer was lost: ask the shard (`settleOnePhase`).
            case verify
        }
        package let shard: Int
        package let xid: XID
        package let kind: Kind
        /// The transfer's accounts, written through after a commit.
        package let accounts: [Int64]
    }

    private let lock = NSLock()
    private var items: [Item] = []
    /// When each pending item was added (for `sluice_ledger_in_doubt_oldest_seconds`).
    private var added: [ContinuousClock.Instant] = []

    package init() {}

    package func add(_ item: Item) {
        lock.withLock {
            if !items.contains(item) {
                items.append(item)
                added.append(.now)
            }
        }
    }

    package var pending: [Item] { lock.withLock { items } }

    /// Seconds the oldest pending item has waited (0 when none).
    package var oldestSeconds: Double {
        guard let first = lock.withLock({ added.min() }) else { return 0 }
        let age = ContinuousClock.now - first
        return Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
    }

    /// One pass; returns what is still pending.
    @discardableResult
    package func pass(_ service: LedgerService, logger: Logger) -> Int {
        for item in pending {
            var committed = item.kind == .commit
            do {
                if item.kind == .verify {
                    committed = try service.settleOnePhase(transferID: item.xid.gtrid, shard: item.shard)
                } else {
                    let verb = item.kind == .commit ? "XA COMMIT" : "XA ROLLBACK"
                    _ = try service.shards[item.shard].with { connection throws(MySQLError) in
                        try connection.execute("\(verb) \(item.xid.sql)")
                    }
                }
            } catch  where error.code == 1397 {
                // Already resolved.
            } catch {
                continue
            }
            lock.withLock {
                if let index = items.firstIndex(of: item) {
                    items.remove(at: index)
                    added.remove(at: index)
                }
            }
            service.metrics?.xa(committed ? "resolved_commit" : "resolved_rollback")
            logger.log(
                .notice, "ledger: in-doubt branch resolved",
                ["xid": .string(item.xid.description), "action": .string(committed ? "commit" : "rollback")])
            if committed, let writeThrough = service.writeThrough {
                let accounts = item.accounts.compactMap { try? service.account($0) }
                service.reads?.saw(accounts)
                if (try? writeThrough.apply(accounts)) != nil {
                    _ = try? service.journal.append(.completed(transferID: item.xid.gtrid), durable: false)
                }
            }
        }
        return pending.count
    }

    /// Runs `pass` every `interval` on a background thread until `isStopping`.
    package func start(
        _ service: LedgerService, logger: Logger, interval: Double = 0.5, isStopping: @escaping @Sendable () -> Bool
    ) {
        let thread = Thread { [self] in
            while !isStopping() {
                Thread.sleep(forTimeInterval: interval)
                pass(service, logger: logger)
            }
        }
        thread.name = "sluice-ledger-resolver"
        thread.start()
    }
}
