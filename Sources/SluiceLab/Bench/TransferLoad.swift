import Foundation
import MySQLSource

/// The `sluice bench e2e` workload: 2-row transactions on `payments.accounts` (debit one account,
/// credit another, each `version = version + 1`), paced open-loop at a target rate from several
/// connections. Each connection owns the accounts whose `(id - 1) % connections` is its number
/// and transfers only between them, so it knows the version every transaction of its own gives
/// each account (a counter per account, raised on COMMIT) without asking the database; sampled
/// transactions go to a `VisibilityWatcher` with that version and the time their COMMIT returned.
package final class TransferLoad: @unchecked Sendable {
    package static let rowsPerTransaction = 2

    /// What a paced run achieved.
    package struct Outcome: Sendable, Equatable {
        package var window: RateWindow
        /// Transfers rolled back because the debit would have gone negative.
        package var refused: Int
        package var sampled: Int
        /// The first database error, which ended its connection's part of the run.
        package var error: MySQLError?
    }

    private let workers: [Worker]
    private let lock = NSLock()
    private var committedCount = 0
    private var refusedCount = 0
    private var sampledCount = 0
    private var failure: MySQLError?

    /// Opens `connections` connections to `endpoint` (fewer when the accounts would not give each
    /// two); `workload`'s accounts exist at version 1 (`PaymentsWorkload.create`) and nothing
    /// else writes them. Keys are the demo mapping's, `account:{id}`.
    package init(endpoint: MySQLEndpoint, workload: PaymentsWorkload, connections: Int) throws(MySQLError) {
        let accounts = workload.accounts
        let n = max(1, min(connections, accounts / 2))
        var made: [Worker] = []
        for w in 0..<n {
            let ids = Array(stride(from: w + 1, through: accounts, by: n))
            made.append(Worker(connection: try MySQLConnection(endpoint), workload: workload, accounts: ids))
        }
        workers = made
    }

    package var connections: Int { workers.count }

    /// Transactions committed since the load was made (for a per-second status line).
    package var committed: Int {
        lock.lock()
        defer { lock.unlock() }
        return committedCount
    }

    /// Runs `schedule` for `seconds`, every connection taking the next due transaction (none is
    /// started after `seconds`, however far behind the schedule); returns when every connection
    /// finished its last one. The window's seconds run from the start to the last COMMIT returning.
    /// Without a `watcher` nothing is sampled (the source's own ceiling, `sluice bench e2e`).
    package func run(_ schedule: PacedSchedule, seconds: Double, watcher: VisibilityWatcher?) -> Outcome {
        lock.lock()
        let before = (committedCount, refusedCount, sampledCount)
        failure = nil
        lock.unlock()
        let total = schedule.transactions(inSeconds: seconds)
        let next = Counter()
        let start = VisibilityWatcher.now()
        let end = start + UInt64(seconds * 1e9)
        let group = DispatchGroup()
        for worker in workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while true {
                    let index = next.take()
                    // Behind schedule at the end of the window: the rest is not run (the rate shows it).
                    if index >= total || VisibilityWatcher.now() >= end { return }
                    let due = start + schedule.dueOffsetNanoseconds(index)
                    let now = VisibilityWatcher.now()
                    if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
                    do throws(MySQLError) {
                        let sample = try worker.transfer()
                        record(sample: sample, sampled: schedule.isSampled(index), watcher: watcher)
                    } catch {
                        lock.lock()
                        failure = failure ?? error
                        lock.unlock()
                        return
                    }
                }
            }
        }
        group.wait()
        let elapsed = Double(VisibilityWatcher.now() - start) / 1e9
        lock.lock()
        defer { lock.unlock() }
        return Outcome(
            window: RateWindow(
                committed: committedCount - before.0, seconds: elapsed, rowsPerTransaction: Self.rowsPerTransaction),
            refused: refusedCount - before.1, sampled: sampledCount - before.2, error: failure)
    }

    private func record(sample: VisibilityTracker.Sample?, sampled: Bool, watcher: VisibilityWatcher?) {
        lock.lock()
        if sample != nil { committedCount += 1 } else { refusedCount += 1 }
        if sample != nil, sampled, watcher != nil { sampledCount += 1 }
        lock.unlock()
        if let sample, sampled, let watcher { watcher.watch(sample) }
    }
}

/// One connection and the accounts it owns, with the version each has now. Used by one thread
/// at a time.
private final class Worker: @unchecked Sendable {
    let connection: MySQLConnection
    let workload: PaymentsWorkload
    let accounts: [Int]
    var versions: [Int: UInt64]

    init(connection: MySQLConnection, workload: PaymentsWorkload, accounts: [Int]) {
        self.connection = connection
        self.workload = workload
        self.accounts = accounts
        versions = Dictionary(uniqueKeysWithValues: accounts.map { ($0, 1) })
    }

    /// One transfer between two random accounts of this connection, touched in id order; nil when
    /// the debit would go negative (rolled back), else the sample of the committed transaction.
    func transfer() throws(MySQLError) -> VisibilityTracker.Sample? {
        let a = Int.random(in: 0..<accounts.count)
        var b = Int.random(in: 0..<(accounts.count - 1))
        if b >= a { b += 1 }
        let from = accounts[a]
        let to = accounts[b]
        let cents = Int.random(in: 1...1000)
        guard try workload.transfer(on: connection, from: from, to: to, cents: cents, record: false) else {
            return nil
        }
        let committedAt = VisibilityWatcher.now()
        let vFrom = (versions[from] ?? 1) + 1
        let vTo = (versions[to] ?? 1) + 1
        versions[from] = vFrom
        versions[to] = vTo
        return VisibilityTracker.Sample(
            keys: [.init("account:\(from)", vFrom), .init("account:\(to)", vTo)], committedAt: committedAt)
    }
}

/// A shared index handed out once each.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
