import MySQLSource

/// One transfer's XA branch on one shard, over one borrowed connection: the SQL of the protocol.
/// Each method turns MySQL errors into the protocol's results (`ShardWork`, failure text); the
/// decisions stay in `TransferMachine`.
package struct ShardBranch {
    package let shard: Int
    package let connection: MySQLConnection
    package let database: String
    package let xid: XID

    package init(shard: Int, connection: MySQLConnection, database: String, xid: XID) {
        self.shard = shard
        self.connection = connection
        self.database = database
        self.xid = xid
    }

    private var accounts: String { "`\(database)`.accounts" }

    /// XA START, then the debit and/or credit of the accounts on this shard (in id order, so two
    /// transfers over the same accounts lock them in the same order), then reads them back.
    package func work(request: TransferRequest, accountsHere: [Int64]) -> ShardWork {
        do {
            try connection.execute("XA START \(xid.sql)")
            let amount = request.amount.minorUnits
            for id in accountsHere.sorted() {
                if id == request.from {
                    let changed = try connection.execute(
                        "UPDATE \(accounts) SET balance = balance - \(amount), version = version + 1 "
                            + "WHERE id = \(id) AND status = 'active' AND balance >= \(amount)")
                    if changed != 1 { return .refused(try refusal(for: id, debit: true)) }
                } else {
                    let changed = try connection.execute(
                        "UPDATE \(accounts) SET balance = balance + \(amount), version = version + 1 "
                            + "WHERE id = \(id) AND status = 'active'")
                    if changed != 1 { return .refused(try refusal(for: id, debit: false)) }
                }
            }
            guard !accountsHere.isEmpty else { return .done([]) }
            let rows = try connection.query(
                "SELECT id, owner, currency, balance, version, status FROM \(accounts) WHERE id IN ("
                    + accountsHere.map(String.init).joined(separator: ",") + ")")
            return .done(Self.accountStates(rows))
        } catch {
            return Self.classify(error)
        }
    }

    /// Inserts the entry row (the branch is still active).
    package func insertEntry(_ entry: EntryRow) -> ShardWork {
        do {
            try connection.execute(
                "INSERT INTO `\(database)`.entries (transfer_id, idempotency_key, from_account, to_account, amount, "
                    + "state, from_balance, from_version, to_balance, to_version) VALUES ("
                    + "\(entry.transferID.sqlQuoted), \(entry.idempotencyKey.sqlQuoted), \(entry.from.id), "
                    + "\(entry.to.id), \(entry.amountMinor), 'committed', \(entry.from.balanceMinor), "
                    + "\(entry.from.version), \(entry.to.balanceMinor), \(entry.to.version))")
            return .done([])
        } catch {
            return Self.classify(error)
        }
    }

    /// XA END + XA PREPARE; nil when prepared.
    package func prepare() -> String? {
        do {
            try connection.execute("XA END \(xid.sql)")
            try connection.execute("XA PREPARE \(xid.sql)")
            return nil
        } catch {
            return "shard \(shard): \(error)"
        }
    }

    package func commit() -> String? {
        do {
            try connection.execute("XA COMMIT \(xid.sql)")
            return nil
        } catch {
            return "shard \(shard): \(error)"
        }
    }

    /// Ends the branch in whatever state it is (active, idle, prepared, rollback-only). Errors
    /// are expected (XA END on a branch already ended, an XID the server already dropped) and
    /// ignored; returns false when the connection itself is lost, so the caller retries on a
    /// fresh one (a prepared branch outlives its connection).
    package func rollback() -> Bool {
        _ = try? connection.execute("XA END \(xid.sql)")
        do {
            try connection.execute("XA ROLLBACK \(xid.sql)")
        } catch {
            return !error.isConnectionLoss
        }
        return true
    }

    static func classify(_ error: MySQLError) -> ShardWork {
        if error.isDuplicateKey { return .duplicateKey }
        if error.isRetryable { return .retryable(error.description) }
        return .failed(error.description)
    }

    private func refusal(for id: Int64, debit: Bool) throws(MySQLError) -> Refusal {
        let rows = try connection.query("SELECT status, balance FROM \(accounts) WHERE id = \(id)")
        guard let status = rows.value("status") else { return .unknownAccount }
        if status != "active" { return .frozenAccount }
        return debit ? .insufficientFunds : .unknownAccount
    }

    package static func accountStates(_ rows: MySQLRows) -> [AccountState] {
        rows.rows.indices.compactMap { row in
            guard let id = rows.value("id", row: row).flatMap({ Int64($0) }),
                let balance = rows.value("balance", row: row).flatMap({ Int64($0) }),
                let version = rows.value("version", row: row).flatMap({ UInt64($0) })
            else { return nil }
            return AccountState(
                id: id, owner: rows.value("owner", row: row) ?? "", currency: rows.value("currency", row: row) ?? "",
                balanceMinor: balance, version: version, status: rows.value("status", row: row) ?? "")
        }
    }
}
