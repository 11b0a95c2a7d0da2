import Foundation
import Ledger
import MySQLSource
import Ops
import RedisCluster

/// The demo's transfer workload through the ledger: `clients` threads send random transfers to
/// `LedgerService.transfer` (XA over the shard, the journal's fsync'd decision, the write-through
/// to the primary cluster), as `ledger serve`'s HTTP threads do. Counts answers and keeps each
/// second's latencies for the status line.
final class DemoLedgerWorkload: @unchecked Sendable {
    /// A transfer changes three rows: the two accounts and the new entry.
    static let rowsPerTransfer = 3

    private let service: LedgerService
    private let accounts: Int64
    private let lock = NSLock()
    private var stopping = false
    private var created = 0
    private var refused = 0
    private var failed: [String] = []
    private var secondLatencies: [Double] = []
    private let done = DispatchGroup()

    init(service: LedgerService, accounts: Int) {
        self.service = service
        self.accounts = Int64(max(accounts, 2))
    }

    /// Starts `clients` threads; each sends transfers until `stop()`.
    func start(clients: Int) {
        for client in 0..<max(clients, 1) {
            done.enter()
            Thread.detachNewThread { [self] in
                var index = 0
                while !isStopping {
                    index += 1
                    send(key: "demo-\(client)-\(index)")
                }
                done.leave()
            }
        }
    }

    private func send(key: String) {
        let from = Int64.random(in: 1...accounts)
        var to = Int64.random(in: 1..<accounts)
        if to >= from { to += 1 }
        let request = TransferRequest(
            idempotencyKey: key, from: from, to: to,
            amount: Amount(minorUnits: Int64.random(in: 1...5000), scale: service.amountScale))
        let began = ContinuousClock.now
        let answer = service.transfer(request)
        let took = ContinuousClock.now - began
        let ms = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
        lock.lock()
        defer { lock.unlock() }
        switch answer {
        case .created, .replayed:
            created += 1
            secondLatencies.append(ms)
        case .refused, .riskRefused: refused += 1
        case .conflict(let id): failed.append("idempotency key \(key) conflicts with \(id)")
        case .unavailable(let why): failed.append("unavailable: \(why)")
        case .pending(let id, let why): failed.append("\(id) pending: \(why)")
        }
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Stops the clients and waits (up to `timeout` s) for their transfers in flight.
    func stop(timeout: Double = 30) {
        lock.lock()
        stopping = true
        lock.unlock()
        _ = done.wait(timeout: .now() + timeout)
    }

    /// Transfers committed and refused (insufficient funds, a risk rule) so far, and the other answers (each
    /// a failure of the demo: nothing else should happen on a healthy sandbox).
    var progress: (committed: Int, refused: Int, failures: [String]) {
        lock.lock()
        defer { lock.unlock() }
        return (created, refused, failed)
    }

    /// The latencies (ms) of the transfers committed since the last call, sorted.
    func takeSecond() -> [Double] {
        lock.lock()
        defer { lock.unlock() }
        let taken = secondLatencies.sorted()
        secondLatencies.removeAll(keepingCapacity: true)
        return taken
    }

    /// `p99 12.3 ms` of sorted latencies, `p99 -` when there are none.
    static func p99Text(_ sorted: [Double]) -> String {
        guard !sorted.isEmpty else { return "p99 -" }
        let rank = Int((Double(sorted.count) * 0.99).rounded(.up)) - 1
        return String(format: "p99 %.1f ms", sorted[max(0, min(sorted.count - 1, rank))])
    }

    /// The conservation check: the sum of all balances equals what `ledger init` seeded and no
    /// balance is negative. Returns whether, and a line saying so.
    func conservation(seeded: Int64) throws -> (conserved: Bool, line: String) {
        let (sum, negatives) = try service.totals()
        let conserved = sum == seeded && negatives == 0
        return (
            conserved,
            "ledger total balance \(sum) minor units (seeded \(seeded)), \(negatives) negative balance(s): "
                + (conserved ? "conserved" : "NOT conserved")
        )
    }
}
