import Foundation
import MySQLSource

/// The demo's payments database and its live transfer workload.
///
/// `payments.accounts` carries a `version` column that every UPDATE raises in the same statement
/// (`version = version + 1`), the optimistic-lock column the Redis mapping uses as row version.
/// A transfer debits and credits two accounts in one transaction, touching them in id order (so
/// two transfers never deadlock), each with an atomic `balance = balance -/+ x` and a guard that
/// the debit leaves no negative balance; the database itself conserves the total.
package final class PaymentsWorkload: @unchecked Sendable {
    package static let schema = [
        "CREATE DATABASE IF NOT EXISTS payments",
        """
        CREATE TABLE IF NOT EXISTS payments.accounts (
            id BIGINT NOT NULL PRIMARY KEY, owner VARCHAR(64) NOT NULL,
            balance DECIMAL(18,2) NOT NULL, version BIGINT UNSIGNED NOT NULL DEFAULT 1)
        """,
        """
        CREATE TABLE IF NOT EXISTS payments.transfers (
            id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, from_id BIGINT NOT NULL, to_id BIGINT NOT NULL,
            amount DECIMAL(18,2) NOT NULL, created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))
        """,
    ]

    /// The `[[mapping]]` the demo configures for the accounts table.
    package static let accountsMapping = """
        [[mapping]]
        table = "payments.accounts"
        key = "account:{id}"
        shape = "hash"
        version = "column"
        version_column = "version"
        """

    package let accounts: Int
    package let initialBalance: Int
    private let lock = NSLock()
    private var stopRequested = false
    private var committedCount = 0
    private var refusedCount = 0
    private var failure: MySQLError?

    package init(accounts: Int, initialBalance: Int = 1000) {
        self.accounts = max(accounts, 2)
        self.initialBalance = initialBalance
    }

    /// Creates the schema and `accounts` accounts holding `initialBalance` each (version 1).
    package func create(on connection: MySQLConnection) throws(MySQLError) {
        for statement in Self.schema { _ = try connection.execute(statement) }
        var values: [String] = []
        for id in 1...accounts { values.append("(\(id), 'owner-\(id)', \(initialBalance).00, 1)") }
        _ = try connection.execute(
            "INSERT INTO payments.accounts (id, owner, balance, version) VALUES " + values.joined(separator: ","))
    }

    /// The total the accounts must always hold.
    package var expectedTotal: String { "\(accounts * initialBalance).00" }

    /// One transfer of `cents` from `from` to `to`; false when the debit would go negative (rolled back).
    /// `record`: also insert the `payments.transfers` row (false: the two account rows only).
    @discardableResult
    package func transfer(on connection: MySQLConnection, from: Int, to: Int, cents: Int, record: Bool = true)
        throws(MySQLError) -> Bool
    {
        try transfer(on: connection, from: from, to: to, cents: cents, record: record, readVersions: false) != nil
    }

    /// The transfer; nil when refused, else (with `readVersions`) the version each account got,
    /// read inside the transaction, whose row locks keep them its own until COMMIT.
    private func transfer(
        on connection: MySQLConnection, from: Int, to: Int, cents: Int, record: Bool, readVersions: Bool
    ) throws(MySQLError) -> [Int: UInt64]? {
        let amount = String(format: "%d.%02d", cents / 100, cents % 100)
        _ = try connection.execute("BEGIN")
        do throws(MySQLError) {
            for id in [from, to].sorted() {
                let sql =
                    id == from
                    ? "UPDATE payments.accounts SET balance = balance - \(amount), version = version + 1 WHERE id = \(id) AND balance >= \(amount)"
                    : "UPDATE payments.accounts SET balance = balance + \(amount), version = version + 1 WHERE id = \(id)"
                if try connection.execute(sql) != 1 {
                    _ = try connection.execute("ROLLBACK")
                    return nil
                }
            }
            var versions: [Int: UInt64] = [:]
            if readVersions {
                let rows = try connection.query(
                    "SELECT id, version FROM payments.accounts WHERE id IN (\(from), \(to))")
                for r in rows.rows.indices {
                    if let id = rows.value("id", row: r).flatMap({ Int($0) }),
                        let v = rows.value("version", row: r).flatMap({ UInt64($0) })
                    {
                        versions[id] = v
                    }
                }
            }
            if record {
                _ = try connection.execute(
                    "INSERT INTO payments.transfers (from_id, to_id, amount) VALUES (\(from), \(to), \(amount))")
            }
            _ = try connection.execute("COMMIT")
            return versions
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs random transfers on `connection` until `stop()`; `pause` seconds between them.
    /// A database error ends the run; `progress.error` then holds it. Every `sampleEvery`-th
    /// committed transfer goes to `sample` with the versions it gave its two accounts' keys
    /// (`account:{id}`, as `accountsMapping`) and the time its COMMIT returned, for a
    /// `VisibilityWatcher`.
    package func run(
        on connection: MySQLConnection, pause: Double = 0, sampleEvery: Int = 10,
        sample: ((VisibilityTracker.Sample) -> Void)? = nil
    ) {
        var n = 0
        while !isStopped {
            let from = Int.random(in: 1...accounts)
            var to = Int.random(in: 1..<accounts)
            if to >= from { to += 1 }
            let sampled = sample != nil && n % max(sampleEvery, 1) == 0
            do {
                let versions = try transfer(
                    on: connection, from: from, to: to, cents: Int.random(in: 1...5000), record: true,
                    readVersions: sampled)
                let committedAt = VisibilityWatcher.now()
                count(versions != nil)
                if let versions {
                    if sampled, let sample {
                        sample(
                            VisibilityTracker.Sample(
                                keys: versions.sorted { $0.key < $1.key }.map { .init("account:\($0.key)", $0.value) },
                                committedAt: committedAt))
                    }
                    n += 1
                }
            } catch {
                lock.lock()
                failure = failure ?? error
                stopRequested = true
                lock.unlock()
                return
            }
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
    }

    package func stop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func count(_ committed: Bool) {
        lock.lock()
        if committed { committedCount += 1 } else { refusedCount += 1 }
        lock.unlock()
    }

    /// Transfers committed and refused (insufficient balance) so far, and the error that stopped the run.
    package var progress: (committed: Int, refused: Int, error: MySQLError?) {
        lock.lock()
        defer { lock.unlock() }
        return (committedCount, refusedCount, failure)
    }
}
