/// Pure half of the version-checked apply: builds `FCALL` commands for rows and reads their
/// replies into per-row results. No I/O, so the encoding and the reply rules test without Redis.
package enum ApplyBatch {
    /// A row's answer inside a batch reply.
    package enum RowResult: Sendable, Equatable {
        case outcome(WriteOutcome)
        /// The node can't serve this key now (slot moved or migrating): re-route it alone.
        case notLocal(String)
        /// Any other per-row error (NOPERM, WRONGTYPE, OOM): final, reported to the caller.
        case failed(String)
    }

    /// `FCALL sluice_apply 0 <tombstone ms> rows...` for the given rows; with a fencing token,
    /// `FCALL sluice_apply_fenced 0 <token> <n> <fence key of each slot>... <tombstone ms> rows...`.
    package static func batchCommand(
        _ writes: [VersionedWrite], indices: ArraySlice<Int>, tombstoneMilliseconds: Int64, fence: Int64? = nil,
        slots: [Int] = []
    ) -> RedisCommand {
        var c = RedisCommand()
        c.append("FCALL")
        c.append(fence == nil ? ApplyLibrary.batchFunction : ApplyLibrary.fencedBatchFunction)
        c.append("0")
        if let fence {
            let fenceSlots = Set(indices.map { slots[$0] }).sorted()
            c.append(String(fence))
            c.append(String(fenceSlots.count))
            for slot in fenceSlots { c.append(Fencing.key(forSlot: slot)) }
        }
        c.append(String(tombstoneMilliseconds))
        for i in indices { appendRow(writes[i], to: &c) }
        return c
    }

    /// `FCALL sluice_apply_one 2 key vkey <tombstone ms> row`: keys declared, so redirects apply;
    /// with a fencing token `FCALL sluice_apply_one_fenced 3 key vkey fencekey <token> ...`.
    package static func singleCommand(_ write: VersionedWrite, tombstoneMilliseconds: Int64, fence: Int64? = nil)
        -> RedisCommand
    {
        var c = RedisCommand()
        c.append("FCALL")
        c.append(fence == nil ? ApplyLibrary.singleFunction : ApplyLibrary.fencedSingleFunction)
        c.append(fence == nil ? "2" : "3")
        c.append(bytes: write.key)
        c.append(bytes: write.versionKey)
        if let fence {
            c.append(Fencing.key(forSlot: HashSlot.slot(of: write.key)))
            c.append(String(fence))
        }
        c.append(String(tombstoneMilliseconds))
        appendRow(write, to: &c)
        return c
    }

    static func appendRow(_ w: VersionedWrite, to c: inout RedisCommand) {
        let op: String
        switch w.value {
        case .hash: op = "H"
        case .string: op = "S"
        case .delete: op = "D"
        }
        c.append(op)
        c.append(bytes: w.key)
        c.append(bytes: w.versionKey)
        c.append(w.version)
        c.append(String(max(w.ttlMilliseconds, 0)))
        switch w.value {
        case .hash(let fields, let removing):
            c.append(String(fields.count * 2))
            c.append(fields.isEmpty ? "0" : String(removing.count))
            for f in fields {
                c.append(bytes: f.name)
                c.append(bytes: f.value)
            }
            if !fields.isEmpty { for r in removing { c.append(bytes: r) } }
        case .string(let v):
            if let v {
                c.append("1")
                c.append("0")
                c.append(bytes: v)
            } else {
                c.append("0")
                c.append("0")
            }
        case .delete:
            c.append("0")
            c.append("0")
        }
    }

    /// Reads a batch reply for `count` rows. A non-array reply (the whole call failed) or one of the
    /// wrong length is a `CallFailure` for the caller to classify.
    package static func rowResults(_ reply: RedisReply, count: Int) -> Result<[RowResult], CallFailure> {
        guard let items = reply.elements else {
            return .failure(CallFailure(message: reply.errorMessage ?? "unexpected reply \(reply)"))
        }
        guard items.count == count else {
            return .failure(CallFailure(message: "expected \(count) row results, got \(items.count)"))
        }
        var out: [RowResult] = []
        out.reserveCapacity(count)
        for item in items { out.append(rowResult(item)) }
        return .success(out)
    }

    static func rowResult(_ item: RedisReply) -> RowResult {
        switch item {
        case .integer(1): return .outcome(.applied)
        case .integer(0): return .outcome(.staleRefused)
        case .bulk, .status, .error:
            var m = item.text ?? ""
            if m.hasPrefix("E:") { m.removeFirst(2) }
            return isNotLocal(m) ? .notLocal(m) : .failed(m)
        default:
            return .failed("unexpected row result \(item)")
        }
    }

    /// Errors that mean "not this node, or not now": the row is retried alone with declared keys.
    package static func isNotLocal(_ message: String) -> Bool {
        message.contains("non local key") || message.hasPrefix("MOVED") || message.hasPrefix("ASK")
            || message.hasPrefix("TRYAGAIN") || message.hasPrefix("CLUSTERDOWN") || message.contains("cluster is down")
    }

    /// Why a whole FCALL failed.
    package struct CallFailure: Error, Sendable, Equatable {
        package var message: String
        /// The node has no `sluice` library (restarted or new master): load it and retry.
        package var isFunctionMissing: Bool { FunctionLibrary.isMissing(message) }
        /// Worth retrying after a pause (the node is failing over, loading, or busy).
        package var isTransient: Bool {
            message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("TRYAGAIN") || message.hasPrefix("LOADING")
                || message.hasPrefix("BUSY") || message.hasPrefix("MASTERDOWN")
        }
    }
}
