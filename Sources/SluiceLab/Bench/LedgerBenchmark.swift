import Foundation
import Ledger
import MySQLSource

/// `sluice bench ledger`: transfers through the ledger, and in the same run the raw ceilings of
/// the same SQL, each phase `seconds` long with `connections` client threads:
/// - **plain**: per shard touched, a local transaction (START TRANSACTION, the debit/credit
///   updates, the entry, COMMIT), no XA: what the database does without atomicity across shards;
/// - **raw XA**: the same branches with XA START/END/PREPARE/COMMIT, no journal, Redis or HTTP;
/// - **ledger**: `LedgerService.transfer` (XA, journal fsync, write-through).
/// Account pairs: a fraction `hotFraction` of transfers uses only accounts 1...10, the rest
/// any two accounts; the amount is 1-100 minor units.
package struct LedgerBenchmark: Sendable {
    package struct Settings: Sendable {
        package var seconds: Double
        package var connections: Int
        package var accounts: Int
        package var hotFraction: Double
        /// Every transfer on shard 0 only (both accounts and the idempotency key), out of
        /// `shardCount`: the case `one_phase_single_shard` applies to.
        package var singleShard: Bool
        package var shardCount: Int

        package init(
            seconds: Double, connections: Int, accounts: Int, hotFraction: Double, singleShard: Bool = false,
            shardCount: Int = 2
        ) {
            self.seconds = seconds
            self.connections = connections
            self.accounts = accounts
            self.hotFraction = hotFraction
            self.singleShard = singleShard
            self.shardCount = max(1, shardCount)
        }
    }

    /// One phase's figures.
    package struct Phase: Sendable, Equatable {
        package var transfers = 0
        package var errors = 0
        package var seconds = 0.0
        package var latencies: [Double] = []

        package init() {}

        package var tps: Double { seconds > 0 ? Double(transfers) / seconds : 0 }
        package func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let sorted = latencies.sorted()
            let rank = Int((Double(sorted.count) * p).rounded(.up)) - 1
            return sorted[max(0, min(sorted.count - 1, rank))]
        }
    }

    package let settings: Settings

    package init(settings: Settings) { self.settings = settings }

    /// A random transfer (from != to); with `singleShard`, two accounts of shard 0.
    func pick() -> (from: Int64, to: Int64, amount: Int64) {
        let hot = Double.random(in: 0..<1) < settings.hotFraction
        let range: ClosedRange<Int64> = hot ? 1...min(10, Int64(settings.accounts)) : 1...Int64(settings.accounts)
        let step = settings.singleShard ? Int64(settings.shardCount) : 1
        func draw() -> Int64 {
            let id = Int64.random(in: range)
            return step == 1 ? id : max(step, id - id % step)
        }
        let from = draw()
        var to = draw()
        while to == from { to = draw() }
        return (from, to, Int64.random(in: 1...100))
    }

    /// The idempotency key `base`; with `singleShard`, the first `base-N` that lives on shard 0.
    func key(_ base: String) -> String {
        guard settings.singleShard else { return base }
        let map = ShardMap(count: settings.shardCount)
        return (0...).lazy.map { "\(base)-\($0)" }.first { map.shard(ofKey: $0) == 0 } ?? base
    }

    /// Runs `body` on `connections` threads for `seconds`; `body` returns whether the transfer
    /// counted (false = an error).
    func measure(_ body: @escaping @Sendable (_ thread: Int, _ index: Int) -> Bool?) -> Phase {
        let total = PhaseTotal()
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(settings.seconds * 1000))
        // One OS thread per connection (concurrentPerform would run only as many as there are cores).
        let done = DispatchGroup()
        for thread in 0..<settings.connections {
            done.enter()
            let worker = Thread {
                var local = Phase()
                var index = 0
                while ContinuousClock.now < end {
                    index += 1
                    let began = ContinuousClock.now
                    guard let ok = body(thread, index) else { continue }
                    let took = ContinuousClock.now - began
                    if ok {
                        local.transfers += 1
                        local.latencies.append(
                            Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
                    } else {
                        local.errors += 1
                    }
                }
                total.add(local)
                done.leave()
            }
            worker.stackSize = 1 << 20
            worker.start()
        }
        done.wait()
        var phase = total.phase
        let elapsed = ContinuousClock.now - start
        phase.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return phase
    }

    /// The ledger phase. A business refusal (insufficient funds) is neither a transfer nor an error.
    package func ledger(_ service: LedgerService, run: String) -> Phase {
        measure { thread, index in
            let t = pick()
            let request = TransferRequest(
                idempotencyKey: key("\(run)-\(thread)-\(index)"), from: t.from, to: t.to,
                amount: Amount(minorUnits: t.amount, scale: service.amountScale))
            switch service.transfer(request) {
            case .created: return true
            case .refused, .riskRefused: return nil
            default: return false
            }
        }
    }

    /// A raw phase over the shard pools: `xa` true for XA 2PC, false for plain transactions.
    package func raw(_ pools: [ShardPool], databases: [String], xa: Bool, run: String) -> Phase {
        let map = ShardMap(count: pools.count)
        return measure { thread, index in
            let t = pick()
            let id = key("\(run)-\(thread)-\(index)")
            let request = TransferRequest(
                idempotencyKey: id, from: t.from, to: t.to, amount: Amount(minorUnits: t.amount, scale: 2))
            let shards = map.shards(for: request)
            var connections: [Int: MySQLConnection] = [:]
            var healthy = true
            defer { for (s, c) in connections { pools[s].giveBack(c, healthy: healthy) } }
            do {
                for s in shards { connections[s] = try pools[s].borrow() }
            } catch {
                healthy = false
                return false
            }
            let branches = shards.compactMap { s in
                connections[s].map {
                    ShardBranch(shard: s, connection: $0, database: databases[s], xid: XID(transferID: id, shard: s))
                }
            }
            return xa ? Self.xaTransfer(branches, request, map) : Self.plainTransfer(branches, request, map)
        }
    }

    private static func xaTransfer(_ branches: [ShardBranch], _ request: TransferRequest, _ map: ShardMap) -> Bool? {
        var states: [AccountState] = []
        for b in branches {
            let here = [request.from, request.to].filter { map.shard(ofAccount: $0) == b.shard }
            switch b.work(request: request, accountsHere: here) {
            case .done(let s): states += s
            case let other:
                for x in branches { _ = x.rollback() }
                if case .refused = other { return nil }
                return false
            }
        }
        guard let from = states.first(where: { $0.id == request.from }),
            let to = states.first(where: { $0.id == request.to }),
            let entryBranch = branches.first(where: { $0.shard == map.shard(ofKey: request.idempotencyKey) }),
            case .done = entryBranch.insertEntry(
                EntryRow(transferID: request.idempotencyKey, request: request, from: from, to: to))
        else {
            for x in branches { _ = x.rollback() }
            return false
        }
        for b in branches where b.prepare() != nil {
            for x in branches { _ = x.rollback() }
            return false
        }
        for b in branches where b.commit() != nil { return false }
        return true
    }

    private static func plainTransfer(_ branches: [ShardBranch], _ request: TransferRequest, _ map: ShardMap) -> Bool? {
        let amount = request.amount.minorUnits
        for b in branches {
            let table = "`\(b.database)`.accounts"
            do {
                try b.connection.execute("START TRANSACTION")
                for id in [request.from, request.to].filter({ map.shard(ofAccount: $0) == b.shard }).sorted() {
                    let sql =
                        id == request.from
                        ? "UPDATE \(table) SET balance = balance - \(amount), version = version + 1 WHERE id = \(id) AND status = 'active' AND balance >= \(amount)"
                        : "UPDATE \(table) SET balance = balance + \(amount), version = version + 1 WHERE id = \(id) AND status = 'active'"
                    guard try b.connection.execute(sql) == 1 else {
                        _ = try? b.connection.execute("ROLLBACK")
                        return nil
                    }
                }
                if b.shard == map.shard(ofKey: request.idempotencyKey) {
                    try b.connection.execute(
                        "INSERT INTO `\(b.database)`.entries (transfer_id, idempotency_key, from_account, to_account, "
                            + "amount, state, from_balance, from_version, to_balance, to_version) VALUES ("
                            + "\(request.idempotencyKey.sqlQuoted), \(request.idempotencyKey.sqlQuoted), \(request.from), "
                            + "\(request.to), \(amount), 'committed', 0, 0, 0, 0)")
                }
                try b.connection.execute("COMMIT")
            } catch {
                _ = try? b.connection.execute("ROLLBACK")
                return false
            }
        }
        return true
    }
}

/// The threads' phases, summed under a lock.
private final class PhaseTotal: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = LedgerBenchmark.Phase()

    func add(_ part: LedgerBenchmark.Phase) {
        lock.withLock {
            sum.transfers += part.transfers
            sum.errors += part.errors
            sum.latencies += part.latencies
        }
    }

    var phase: LedgerBenchmark.Phase { lock.withLock { sum } }
}
