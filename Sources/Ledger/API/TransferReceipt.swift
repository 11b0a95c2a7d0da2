import Foundation

/// A signed receipt of a committed transfer, in its 201 (and replayed 200) answer when the
/// journal has a signing key: an Ed25519 signature, with the journal's key, over a canonical text
/// of the answer's key fields. A client holding the journal's public key checks the signature
/// over `message`, then that `message` names the same transfer, amount, balances, versions and
/// journal sequence as the answer (all integers: minor units). The text, lines joined by `\n`:
///
///     sluice-receipt-v1
///     transfer_id=<id>
///     amount=<minor units>
///     from=<account id>,<balance minor units>,<version>
///     to=<account id>,<balance minor units>,<version>
///     journal_sequence=<n>
///
/// Ed25519 is deterministic: a replayed answer carries the same receipt.
package enum TransferReceipt {
    package static let version = "sluice-receipt-v1"

    package static func message(_ result: TransferResult, amountMinor: Int64) -> String {
        func account(_ a: AccountState) -> String { "\(a.id),\(a.balanceMinor),\(a.version)" }
        return [
            version, "transfer_id=\(result.transferID)", "amount=\(amountMinor)", "from=\(account(result.from))",
            "to=\(account(result.to))", "journal_sequence=\(result.journalSequence)",
        ].joined(separator: "\n")
    }

    /// `{"key_id", "message", "signature" (base64)}`, or nil when signing failed.
    package static func json(_ result: TransferResult, amountMinor: Int64, key: JournalKey) -> [String: Any]? {
        let text = message(result, amountMinor: amountMinor)
        guard let signature = try? key.sign(Array(text.utf8)) else { return nil }
        return ["key_id": key.keyIDText, "message": text, "signature": Data(signature).base64EncodedString()]
    }

    /// Whether `receipt` (as `json` made it) is signed by `key` (a public key is enough).
    package static func verify(_ receipt: [String: Any], key: JournalKey) -> Bool {
        guard let text = receipt["message"] as? String, let encoded = receipt["signature"] as? String,
            let signature = Data(base64Encoded: encoded)
        else { return false }
        return key.verify(Array(signature), of: Array(text.utf8))
    }
}
