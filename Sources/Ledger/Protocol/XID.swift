/// The XA transaction ids of this ledger: format id `formatID`, gtrid = the transfer id
/// (`<ledger name>.<32 hex digits>`), bqual = `s<shard index>`. Recovery touches only XIDs with
/// this format id and the ledger's name as gtrid prefix; anything else in XA RECOVER belongs to
/// someone else and is left alone.
package struct XID: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// "SL" (0x534C).
    package static let formatID = 21324

    package let formatID: Int
    package let gtrid: String
    package let bqual: String

    package init(formatID: Int = XID.formatID, gtrid: String, bqual: String) {
        self.formatID = formatID
        self.gtrid = gtrid
        self.bqual = bqual
    }

    package init(transferID: String, shard: Int) {
        self.init(gtrid: transferID, bqual: "s\(shard)")
    }

    /// The XID in SQL: `X'gtrid-hex',X'bqual-hex',formatID` (hex literals: no quoting problem).
    package var sql: String { "X'\(Self.hex(gtrid))',X'\(Self.hex(bqual))',\(formatID)" }

    package var description: String { "\(gtrid)/\(bqual)/\(formatID)" }

    /// Whether this XID belongs to the ledger named `ledgerName`.
    package func belongs(toLedger ledgerName: String) -> Bool {
        formatID == Self.formatID && gtrid.hasPrefix(ledgerName + ".")
    }

    /// One row of `XA RECOVER` (formatID, gtrid_length, bqual_length, data); nil when malformed.
    package static func fromRecoverRow(formatID: String?, gtridLength: String?, bqualLength: String?, data: String?)
        -> XID?
    {
        guard let formatID = formatID.flatMap({ Int($0) }), let g = gtridLength.flatMap({ Int($0) }),
            let b = bqualLength.flatMap({ Int($0) }), let data
        else { return nil }
        let bytes = Array(data.utf8)
        guard g >= 0, b >= 0, bytes.count == g + b else { return nil }
        return XID(
            formatID: formatID, gtrid: String(decoding: bytes[0..<g], as: UTF8.self),
            bqual: String(decoding: bytes[g...], as: UTF8.self))
    }

    static func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for byte in text.utf8 {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }
}

/// What recovery does, decided from XA RECOVER on every shard and the journal, pure.
///
/// Rules:
/// - An in-doubt XID of this ledger whose transfer has a decision record is committed; one
///   without is rolled back (presumed abort: no decision was ever durable, so no client was told
///   it succeeded).
/// - XIDs of other format ids or gtrid prefixes are listed as foreign and left alone.
/// - Every decided transfer without a `completed` record is written through again (harmless
///   when Redis already has it: the write is version-checked).
/// - A one-phase decision without a `completed` or `aborted` record is in `verify`: only the
///   shard knows whether its one-phase commit happened (its entry row exists).
package struct RecoveryPlan: Sendable, Equatable {
    package struct Step: Sendable, Equatable {
        package enum Kind: String, Sendable, Equatable { case commit, rollback }
        package let kind: Kind
        package let shard: Int
        package let xid: XID
    }

    package var steps: [Step] = []
    package var foreign: [(shard: Int, xid: XID)] = []
    /// Decided transfers to write through again, in journal order.
    package var writeThrough: [JournalDecision] = []
    /// One-phase decisions whose commit must be checked on the shard.
    package var verify: [JournalDecision] = []

    package static func == (a: RecoveryPlan, b: RecoveryPlan) -> Bool {
        a.steps == b.steps && a.writeThrough == b.writeThrough && a.verify == b.verify
            && a.foreign.map { "\($0.shard)\($0.xid)" } == b.foreign.map { "\($0.shard)\($0.xid)" }
    }

    package static func make(ledgerName: String, inDoubt: [Int: [XID]], journal: [JournalRecord]) -> RecoveryPlan {
        var decided: [String: JournalDecision] = [:]
        var order: [String] = []
        var completed: Set<String> = []
        for record in journal {
            switch record.body {
            case .decision(let d):
                decided[d.transferID] = d
                order.append(d.transferID)
            case .completed(let id), .aborted(let id):
                completed.insert(id)
            case .seal, .risk:
                break
            }
        }
        var plan = RecoveryPlan()
        for shard in inDoubt.keys.sorted() {
            for xid in inDoubt[shard] ?? [] {
                guard xid.belongs(toLedger: ledgerName) else {
                    plan.foreign.append((shard, xid))
                    continue
                }
                plan.steps.append(Step(kind: decided[xid.gtrid] == nil ? .rollback : .commit, shard: shard, xid: xid))
            }
        }
        let open = order.filter { !completed.contains($0) }.compactMap { decided[$0] }
        plan.writeThrough = open.filter { !$0.onePhase }
        plan.verify = open.filter(\.onePhase)
        return plan
    }
}
