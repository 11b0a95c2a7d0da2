import Binlog
import Foundation
import Replication

/// The `sluice bench catchup` backlog on `payments.accounts` (the demo's table and mapping): a
/// deterministic series of rounds, each one transaction of 1,000 row changes. Round 0 opens
/// 1,000 accounts; every later round opens the next `block` accounts (version 1), runs
/// `transfers` transfers of 1.00 within the block opened `block` accounts before (one UPDATE
/// debits its first `transfers` accounts, one credits the next `transfers`, each
/// `version = version + 1`), and deletes the rest of that block. Every row's image is known
/// without asking the database, so the same row changes can be replayed as plain HSETs for the
/// ceiling (`changes(round:)`).
package struct CatchupBacklog: Sendable, Equatable {
    /// Accounts opened per round after the first.
    package static let block = 500
    /// Transfers per round (each touches two accounts).
    package static let transfers = 150
    package static let openingBalance = "100.00"
    /// Row changes per round.
    package static let rowsPerRound = 2 * block

    /// Rounds (transactions) of the backlog.
    package let rounds: Int

    /// At least `rows` row changes, rounded up to whole rounds.
    package init(rows: Int) {
        rounds = max(1, (rows + Self.rowsPerRound - 1) / Self.rowsPerRound)
    }

    package var rows: Int { rounds * Self.rowsPerRound }

    /// The accounts round `round` opens.
    private static func opened(_ round: Int) -> Range<Int> {
        round == 0 ? 1..<rowsPerRound + 1 : (round + 1) * block + 1..<(round + 2) * block + 1
    }

    /// The first account of the block round `round` (> 0) transfers within and deletes from.
    private static func touched(_ round: Int) -> Int { round * block + 1 }

    /// The statements of round `round`, to run in one transaction.
    package static func statements(round: Int) -> [String] {
        let values = opened(round).map { "(\($0),'owner-\($0)',\(openingBalance),1)" }
        var sql = [
            "INSERT INTO payments.accounts (id, owner, balance, version) VALUES " + values.joined(separator: ",")
        ]
        guard round > 0 else { return sql }
        let p = touched(round)
        sql.append(
            "UPDATE payments.accounts SET balance = balance - 1, version = version + 1 WHERE id BETWEEN \(p) AND \(p + transfers - 1)"
        )
        sql.append(
            "UPDATE payments.accounts SET balance = balance + 1, version = version + 1 "
                + "WHERE id BETWEEN \(p + transfers) AND \(p + 2 * transfers - 1)")
        sql.append("DELETE FROM payments.accounts WHERE id BETWEEN \(p + 2 * transfers) AND \(p + block - 1)")
        return sql
    }

    private static let columns = ["id", "owner", "balance", "version"]

    private static func image(_ id: Int, balance: String, version: UInt64) -> [ColumnValue] {
        [.int(Int64(id)), .string("owner-\(id)"), .decimal(balance), .uint(version)]
    }

    /// The row changes round `round` writes to the binlog, in order, as the sinks receive them.
    package static func changes(round: Int) -> [RowChange] {
        func change(_ kind: RowChange.Kind, before: [ColumnValue]?, after: [ColumnValue]?) -> RowChange {
            RowChange(
                database: "payments", table: "accounts", kind: kind, columns: columns, before: before, after: after,
                primaryKey: [0])
        }
        var out = opened(round).map {
            change(.insert, before: nil, after: image($0, balance: openingBalance, version: 1))
        }
        guard round > 0 else { return out }
        let p = touched(round)
        for (range, balance) in [(p..<p + transfers, "99.00"), (p + transfers..<p + 2 * transfers, "101.00")] {
            for id in range {
                out.append(
                    change(
                        .update, before: image(id, balance: openingBalance, version: 1),
                        after: image(id, balance: balance, version: 2)))
            }
        }
        for id in p + 2 * transfers..<p + block {
            out.append(change(.delete, before: image(id, balance: openingBalance, version: 1), after: nil))
        }
        return out
    }
}
