/// A transfer as the API receives it, validated.
package struct TransferRequest: Sendable, Equatable {
    package var idempotencyKey: String
    package var from: Int64
    package var to: Int64
    package var amount: Amount

    package init(idempotencyKey: String, from: Int64, to: Int64, amount: Amount) {
        self.idempotencyKey = idempotencyKey
        self.from = from
        self.to = to
        self.amount = amount
    }
}

/// A business refusal (HTTP 422), with the reason code the API returns.
package enum Refusal: String, Sendable, Equatable, CaseIterable {
    case insufficientFunds = "insufficient_funds"
    case unknownAccount = "unknown_account"
    case frozenAccount = "frozen_account"
    case sameAccount = "same_account"
}

/// An account's row after the transfer changed it.
package struct AccountState: Sendable, Equatable {
    package var id: Int64
    package var owner: String
    package var currency: String
    package var balanceMinor: Int64
    package var version: UInt64
    package var status: String

    package init(id: Int64, owner: String, currency: String, balanceMinor: Int64, version: UInt64, status: String) {
        self.id = id
        self.owner = owner
        self.currency = currency
        self.balanceMinor = balanceMinor
        self.version = version
        self.status = status
    }
}

/// What one shard's branch of work (XA START, the debit/credit updates, the entry) found.
package enum ShardWork: Sendable, Equatable {
    /// Done; the shard's accounts as they now are (inside the branch).
    case done([AccountState])
    case refused(Refusal)
    /// The idempotency key is already taken by another transfer (duplicate key on the entry).
    case duplicateKey
    /// A deadlock or lock-wait timeout: roll back and try the whole transfer again.
    case retryable(String)
    /// The shard is unreachable or failed otherwise.
    case failed(String)
}

/// The successful result of a transfer.
package struct TransferResult: Sendable, Equatable {
    package var transferID: String
    package var from: AccountState
    package var to: AccountState
    package var journalSequence: UInt64
    /// False when the write-through to Redis failed (the daemon converges the keys anyway).
    package var wroteThrough: Bool
}

/// How a transfer ended, as the API answers it.
package enum TransferOutcome: Sendable, Equatable {
    case committed(TransferResult)
    case refused(Refusal)
    /// The idempotency key belongs to an earlier transfer: look it up and answer from it.
    case duplicateKey
    /// Nothing was done (every branch rolled back): a shard or the journal is unavailable.
    case unavailable(String)
    /// The decision is durable but a shard's commit failed: recovery commits it. Not yet
    /// acknowledged to the client, but it will take effect.
    case decidedNotCommitted(transferID: String, journalSequence: UInt64, reason: String)
}

/// The `entries` row of a transfer: what its idempotency key answers later.
package struct EntryRow: Sendable, Equatable {
    package var transferID: String
    package var idempotencyKey: String
    package var from: AccountState
    package var to: AccountState
    package var amountMinor: Int64

    package init(transferID: String, request: TransferRequest, from: AccountState, to: AccountState) {
        self.transferID = transferID
        idempotencyKey = request.idempotencyKey
        self.from = from
        self.to = to
        amountMinor = request.amount.minorUnits
    }

    package init(transferID: String, idempotencyKey: String, from: AccountState, to: AccountState, amountMinor: Int64) {
        self.transferID = transferID
        self.idempotencyKey = idempotencyKey
        self.from = from
        self.to = to
        self.amountMinor = amountMinor
    }
}
