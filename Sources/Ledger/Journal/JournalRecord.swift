/// One journal record. The journal is the coordinator log of the transfer protocol: a transfer's
/// commit decision is durable exactly when its `decision` record is fsync'd; `completed` records
/// (written through to Redis) ride along with the next fsync and only save recovery work.
package struct JournalRecord: Sendable, Equatable {
    package enum Body: Sendable, Equatable {
        /// Commit `transferID` on `shards` (the XA branches prepared). Presumed abort: a transfer
        /// without this record is rolled back by recovery.
        case decision(JournalDecision)
        /// Every shard committed `transferID` and its accounts were written through (or no
        /// write-through is configured): recovery has nothing left to do for it.
        case completed(transferID: String)
        /// A one-phase decision whose commit never happened (the shard rolled the transaction
        /// back when the coordinator's connection died): the transfer did not take place.
        case aborted(transferID: String)
        /// A signature over this record's sequence and chain (so over every record before it),
        /// written once per group commit before its fsync when a signing key is configured.
        case seal(JournalSeal)
        /// A risk check's outcome (accepted with its reservation, or refused by a rule), written
        /// before the transfer touches a shard, not fsync'd itself (the next fsync carries it).
        case risk(JournalRiskCheck)
    }

    /// Gapless from 1, across segments.
    package let sequence: UInt64
    /// SHA-256 of the previous record's payload (32 zero bytes for record 1; the first record of
    /// a segment carries the last hash of the segment before). Empty in journals written before
    /// the chain existed (`journal verify` refuses those).
    package let chain: [UInt8]
    package let body: Body

    package init(sequence: UInt64, chain: [UInt8] = [], body: Body) {
        self.sequence = sequence
        self.chain = chain
        self.body = body
    }
}

/// The commit decision for one transfer: enough to re-run its write-through and answer its
/// idempotency key.
package struct JournalDecision: Sendable, Equatable {
    package var transferID: String
    package var idempotencyKey: String
    package var from: Int64
    package var to: Int64
    package var amountMinor: Int64
    /// Shard indexes holding a prepared branch, ascending.
    package var shards: [Int]
    /// Decided before a one-phase commit (`one_phase_single_shard`): nothing was prepared, so
    /// recovery asks the shard whether the commit happened instead of committing.
    package var onePhase: Bool

    package init(
        transferID: String, idempotencyKey: String, from: Int64, to: Int64, amountMinor: Int64, shards: [Int],
        onePhase: Bool = false
    ) {
        self.onePhase = onePhase
        self.transferID = transferID
        self.idempotencyKey = idempotencyKey
        self.from = from
        self.to = to
        self.amountMinor = amountMinor
        self.shards = shards
    }
}

/// What the risk rules decided for a transfer request (`[ledger.risk]`).
package struct JournalRiskCheck: Sendable, Equatable {
    /// The reservation's id (also when refused: it names the check).
    package var reservationID: String
    package var idempotencyKey: String
    package var from: Int64
    package var to: Int64
    package var amountMinor: Int64
    /// The refusing rule's reason code; empty when accepted.
    package var rule: String
    /// The debited account's limits class (empty when unknown: a payee refusal).
    package var accountClass: String
    package var detail: String

    package init(
        reservationID: String, idempotencyKey: String, from: Int64, to: Int64, amountMinor: Int64, rule: String,
        accountClass: String, detail: String
    ) {
        self.reservationID = reservationID
        self.idempotencyKey = idempotencyKey
        self.from = from
        self.to = to
        self.amountMinor = amountMinor
        self.rule = rule
        self.accountClass = accountClass
        self.detail = detail
    }

    package var accepted: Bool { rule.isEmpty }
}

/// A checkpoint signature: Ed25519 over `JournalHash.sealMessage(sequence, chain)`.
package struct JournalSeal: Sendable, Equatable {
    /// `JournalKey.keyID` of the signing key (a verifier names the key it needs).
    package var keyID: [UInt8]
    package var signature: [UInt8]
    package init(keyID: [UInt8], signature: [UInt8]) {
        self.keyID = keyID
        self.signature = signature
    }
}

/// Why a journal could not be read or written; names the segment file and byte offset.
package struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// A bad record with valid bytes after it, a sequence gap, or damage in a sealed segment:
        /// never truncated, an operator must look.
        case corrupt
        /// A directory, open, write, fsync or truncate failure. For an append: the record may or
        /// may not have reached the disk.
        case io
        /// The journal stopped after an I/O failure (fail-stop); nothing more is accepted, and
        /// the record of the refused append was not written.
        case stopped
        /// Another process holds the journal.
        case locked
        /// The signing key (`[ledger] journal_signing_key_file` or `_credential`) is not a usable
        /// Ed25519 private key.
        case key
    }

    package let code: Code
    package let file: String
    package let offset: Int
    package let message: String

    package init(_ code: Code, file: String, offset: Int = 0, _ message: String) {
        self.code = code
        self.file = file
        self.offset = offset
        self.message = message
    }

    package var description: String { "journal \(file) at byte \(offset): \(message) [\(code.rawValue)]" }
}

/// The frame: `length u32 LE` (of the payload), `crc32c u32 LE` (of the payload), payload =
/// `sequence u64 LE`, `chain length u8` + chain bytes, `kind u8`, then the body's fields (strings
/// as `u16 LE length` + UTF-8, integers little-endian). A decision ends with a flags byte (bit 0:
/// one-phase). A seal (kind 4) is `u8 length` + key id, `u8 length` + signature. A risk check
/// (kind 5) is reservation id, idempotency key, from, to, amount, rule, class, detail.
package enum JournalFrame {
    package static let headerBytes = 8
    /// No record is larger: a length above it is damage, not a record.
    package static let maxPayloadBytes = 64 * 1024

    package static func encode(_ record: JournalRecord) -> [UInt8] {
        var payload = ByteWriter()
        payload.u64(record.sequence)
        payload.u8(UInt8(clamping: record.chain.count))
        payload.bytes(record.chain.prefix(255))
        switch record.body {
        case .decision(let d):
            payload.u8(1)
            payload.string(d.transferID)
            payload.string(d.idempotencyKey)
            payload.u64(UInt64(bitPattern: d.from))
            payload.u64(UInt64(bitPattern: d.to))
            payload.u64(UInt64(bitPattern: d.amountMinor))
            payload.u8(UInt8(clamping: d.shards.count))
            for shard in d.shards { payload.u8(UInt8(clamping: shard)) }
            payload.u8(d.onePhase ? 1 : 0)
        case .completed(let id):
            payload.u8(2)
            payload.string(id)
        case .aborted(let id):
            payload.u8(3)
            payload.string(id)
        case .seal(let seal):
            payload.u8(4)
            payload.u8(UInt8(clamping: seal.keyID.count))
            payload.bytes(seal.keyID.prefix(255))
            payload.u8(UInt8(clamping: seal.signature.count))
            payload.bytes(seal.signature.prefix(255))
        case .risk(let r):
            payload.u8(5)
            payload.string(r.reservationID)
            payload.string(r.idempotencyKey)
            payload.u64(UInt64(bitPattern: r.from))
            payload.u64(UInt64(bitPattern: r.to))
            payload.u64(UInt64(bitPattern: r.amountMinor))
            payload.string(r.rule)
            payload.string(r.accountClass)
            payload.string(r.detail)
        }
        var frame = ByteWriter()
        frame.u32(UInt32(payload.data.count))
        frame.u32(CRC32C.checksum(payload.data))
        frame.bytes(payload.data)
        return frame.data
    }

    /// Decodes a payload whose checksum already matched.
    package static func decodePayload(_ payload: ArraySlice<UInt8>) throws(FieldError) -> JournalRecord {
        var r = ByteCursor(payload)
        let sequence = try r.u64("sequence")
        let chainLength = Int(try r.u8("chain length"))
        let chain = try r.bytes(chainLength, "chain")
        let kind = try r.u8("kind")
        let body: JournalRecord.Body
        switch kind {
        case 1:
            let id = try r.string("transfer id")
            let key = try r.string("idempotency key")
            let from = Int64(bitPattern: try r.u64("from"))
            let to = Int64(bitPattern: try r.u64("to"))
            let amount = Int64(bitPattern: try r.u64("amount"))
            let count = Int(try r.u8("shard count"))
            var shards: [Int] = []
            for _ in 0..<count { shards.append(Int(try r.u8("shard"))) }
            let flags = try r.u8("flags")
            guard flags <= 1 else { throw FieldError("flags", "unknown decision flags \(flags)") }
            body = .decision(
                JournalDecision(
                    transferID: id, idempotencyKey: key, from: from, to: to, amountMinor: amount, shards: shards,
                    onePhase: flags == 1))
        case 2:
            body = .completed(transferID: try r.string("transfer id"))
        case 3:
            body = .aborted(transferID: try r.string("transfer id"))
        case 4:
            let keyID = try r.bytes(Int(try r.u8("key id length")), "key id")
            let signature = try r.bytes(Int(try r.u8("signature length")), "signature")
            body = .seal(JournalSeal(keyID: keyID, signature: signature))
        case 5:
            let id = try r.string("reservation id")
            let key = try r.string("idempotency key")
            let from = Int64(bitPattern: try r.u64("from"))
            let to = Int64(bitPattern: try r.u64("to"))
            let amount = Int64(bitPattern: try r.u64("amount"))
            body = .risk(
                JournalRiskCheck(
                    reservationID: id, idempotencyKey: key, from: from, to: to, amountMinor: amount,
                    rule: try r.string("rule"), accountClass: try r.string("class"), detail: try r.string("detail")))
        default:
            throw FieldError("kind", "unknown record kind \(kind)")
        }
        guard r.isAtEnd else { throw FieldError("payload", "\(r.remaining) byte(s) left over after the record") }
        return JournalRecord(sequence: sequence, chain: chain, body: body)
    }
}

/// A field that could not be read from a payload.
package struct FieldError: Error, Sendable, Equatable {
    package let field: String
    package let message: String
    init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

struct ByteWriter {
    var data: [UInt8] = []
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func bytes<C: Collection>(_ b: C) where C.Element == UInt8 { data.append(contentsOf: b) }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        u16(UInt16(utf8.count))
        data.append(contentsOf: utf8)
    }
}

/// Bounds-checked little-endian reads; a short read throws and leaves the cursor where it was.
struct ByteCursor {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - index }
    var isAtEnd: Bool { index == bytes.endIndex }

    mutating func bytes(_ count: Int, _ field: String) throws(FieldError) -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw FieldError(field, "expected \(count) byte(s), had \(remaining)")
        }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    mutating func u8(_ field: String) throws(FieldError) -> UInt8 { try bytes(1, field)[0] }

    mutating func uint(_ width: Int, _ field: String) throws(FieldError) -> UInt64 {
        let raw = try bytes(width, field)
        var value: UInt64 = 0
        for (shift, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    mutating func u32(_ field: String) throws(FieldError) -> UInt32 { UInt32(try uint(4, field)) }
    mutating func u64(_ field: String) throws(FieldError) -> UInt64 { try uint(8, field) }

    mutating func string(_ field: String) throws(FieldError) -> String {
        let start = index
        let length = Int(try uint(2, field + " length"))
        do {
            return String(decoding: try bytes(length, field), as: UTF8.self)
        } catch {
            index = start
            throw error
        }
    }
}
