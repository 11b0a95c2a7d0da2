import Foundation
import Ledger
import Ops

/// `sluice journal show DIR`: the ledger journal's records, read-only (a torn tail is reported,
/// not truncated; corruption exits 1 naming the segment and byte offset).
enum JournalShowCommand {
    static let command = Command(
        "journal show",
        abstract: "Print the ledger journal's records (decisions, completions)",
        flags: [
            .value("from", placeholder: "SEQ", help: "start at this sequence number", default: "1"),
            .boolean("json", help: "one JSON object per record"),
        ],
        positionals: [Positional("DIR", help: "the journal folder ([ledger] journal_dir)")]
    ) { invocation in
        let args = invocation.arguments
        guard let from = UInt64(args.value("from") ?? "1") else { throw UsageError("--from must be a sequence number") }
        let scan = try Journal.read(directory: args.positional("DIR") ?? "")
        let json = args.flag("json")
        for record in scan.records where record.sequence >= from {
            invocation.console.out(json ? JournalText.json(record) : JournalText.line(record))
        }
        if let torn = scan.tornTail {
            invocation.console.err(
                "torn tail: \(torn.discarded) byte(s) at \(torn.segment):\(torn.offset) (never acknowledged; "
                    + "truncated when the ledger opens the journal)")
        }
        return .success
    }
}

enum JournalText {
    static func fields(_ record: JournalRecord) -> [(String, Any)] {
        switch record.body {
        case .decision(let d):
            return [
                ("seq", record.sequence), ("kind", "decision"), ("transfer_id", d.transferID),
                ("idempotency_key", d.idempotencyKey), ("from", d.from), ("to", d.to), ("amount_minor", d.amountMinor),
                ("shards", d.shards), ("one_phase", d.onePhase),
            ]
        case .completed(let id):
            return [("seq", record.sequence), ("kind", "completed"), ("transfer_id", id)]
        case .aborted(let id):
            return [("seq", record.sequence), ("kind", "aborted"), ("transfer_id", id)]
        case .seal(let seal):
            return [("seq", record.sequence), ("kind", "seal"), ("key_id", JournalVerify.hex(seal.keyID))]
        case .risk(let r):
            return [
                ("seq", record.sequence), ("kind", "risk"), ("reservation_id", r.reservationID),
                ("idempotency_key", r.idempotencyKey), ("from", r.from), ("to", r.to), ("amount_minor", r.amountMinor),
                ("outcome", r.accepted ? "accepted" : "refused"), ("rule", r.rule), ("class", r.accountClass),
                ("detail", r.detail),
            ]
        }
    }

    static func line(_ record: JournalRecord) -> String {
        fields(record).map { key, value in
            let text = (value as? [Int]).map { $0.map(String.init).joined(separator: ",") } ?? "\(value)"
            return "\(key)=\(text)"
        }.joined(separator: " ")
    }

    static func json(_ record: JournalRecord) -> String {
        let object = Dictionary(uniqueKeysWithValues: fields(record))
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
