import MySQLSource
import Ops

/// What recovery did.
package struct RecoveryReport: Sendable, Equatable {
    package var committed: [String] = []
    package var rolledBack: [String] = []
    /// In-doubt XIDs of other coordinators, left alone.
    package var foreign: [String] = []
    /// Decided transfers written through again.
    package var rewritten = 0
    package var writeThroughFailures: [String] = []

    package var nothingToDo: Bool { committed.isEmpty && rolledBack.isEmpty && rewritten == 0 }

    /// One line per action, then a summary (what `sluice ledger recover` prints).
    package var lines: [String] {
        committed.map { "committed \($0) (decision in the journal)" }
            + rolledBack.map { "rolled back \($0) (no decision: presumed abort)" }
            + foreign.map { "left alone \($0) (not this ledger's)" }
            + writeThroughFailures.map { "write-through failed: \($0) (the daemon converges it)" }
            + [
                "recovery: \(committed.count) committed, \(rolledBack.count) rolled back, \(foreign.count) foreign, "
                    + "\(rewritten) transfer(s) written through again"
            ]
    }
}

/// Resolves in-doubt XA branches from the journal (`RecoveryPlan`), then repeats the
/// write-through of decided transfers not marked completed. Run with the journal open (its lock
/// keeps a serving coordinator away) before serving.
package enum LedgerRecovery {
    /// `XA RECOVER` on every shard.
    package static func inDoubt(_ shards: [ShardPool]) throws(MySQLError) -> [Int: [XID]] {
        var found: [Int: [XID]] = [:]
        for pool in shards {
            let rows = try pool.with { connection throws(MySQLError) in try connection.query("XA RECOVER") }
            found[pool.index] = rows.rows.indices.compactMap { row in
                XID.fromRecoverRow(
                    formatID: rows.value("formatID", row: row), gtridLength: rows.value("gtrid_length", row: row),
                    bqualLength: rows.value("bqual_length", row: row), data: rows.value("data", row: row))
            }
        }
        return found
    }

    package static func run(service: LedgerService, logger: Logger) throws(MySQLError) -> RecoveryReport {
        let plan = RecoveryPlan.make(
            ledgerName: service.name, inDoubt: try inDoubt(service.shards), journal: service.journal.recovered)
        var report = RecoveryReport()
        report.foreign = plan.foreign.map { "shard \($0.shard) \($0.xid)" }
        for step in plan.steps {
            let verb = step.kind == .commit ? "XA COMMIT" : "XA ROLLBACK"
            _ = try service.shards[step.shard].with { connection throws(MySQLError) in
                try connection.execute("\(verb) \(step.xid.sql)")
            }
            let text = "shard \(step.shard) \(step.xid.gtrid)"
            if step.kind == .commit { report.committed.append(text) } else { report.rolledBack.append(text) }
            logger.log(.notice, "ledger recovery: \(step.kind.rawValue)", [
                "xid": .string(step.xid.description), "shard": .integer(Int64(step.shard)),
            ])
        }
        guard let writeThrough = service.writeThrough else { return report }
        for decision in plan.writeThrough {
            do {
                var accounts: [AccountState] = []
                for id in [decision.from, decision.to] {
                    if let account = try service.account(id) { accounts.append(account) }
                }
                try writeThrough.apply(accounts)
                _ = try? service.journal.append(.completed(transferID: decision.transferID), durable: false)
                report.rewritten += 1
            } catch {
                report.writeThroughFailures.append("\(decision.transferID): \(error)")
            }
        }
        return report
    }
}
