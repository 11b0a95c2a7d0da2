import Foundation

/// Applies version-checked row writes to a cluster: rows grouped by the node that owns their slot,
/// many rows per `FCALL sluice_apply`, all nodes in parallel, every node's calls pipelined. A row
/// its node can't serve (slot moved or migrating) is re-sent alone through `sluice_apply_one` with
/// declared keys, so the client's MOVED/ASK/TRYAGAIN handling routes it; rows that already
/// succeeded are not sent again. Retrying is safe in any case: the version check makes a repeat a
/// no-op. The library is loaded on demand when a node answers that it is missing.
package final class VersionedApplier {
    package let client: RedisClusterClient
    /// How long a delete's tombstone version lives, in ms (0 = forever).
    package let tombstoneMilliseconds: Int64
    /// Rows per FCALL.
    package let rowsPerCall: Int
    private let sleep: @Sendable (Double) -> Void
    package private(set) var stats = ApplyStats()
    /// Masters written to since the last `resetTouchedNodes()` (for WAIT before a checkpoint).
    package private(set) var touchedNodes: Set<RedisEndpoint> = []

    package init(
        client: RedisClusterClient, tombstoneTTLSeconds: Int64, rowsPerCall: Int = 200,
        sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) {
        self.client = client
        self.tombstoneMilliseconds = max(tombstoneTTLSeconds, 0) * 1000
        self.rowsPerCall = max(rowsPerCall, 1)
        self.sleep = sleep
    }

    package func resetTouchedNodes() { touchedNodes = [] }
    /// The lease holder's fencing token (guarantee 7): when set, every call carries it and a node
    /// that stored a greater one refuses the call (`RedisError.Code.fenced`), writing nothing.
    package var fence: FenceToken?

    /// `FUNCTION LOAD REPLACE` on the given nodes (default: every master serving slots).
    package func loadLibrary(on nodes: [RedisEndpoint]? = nil) throws(RedisError) {
        stats.libraryLoads += try FunctionLibrary.load(
            name: ApplyLibrary.name, source: ApplyLibrary.source, client: client, on: nodes)
    }

    /// Applies `writes` and returns one outcome per write, in order. Throws when a row is refused
    /// for a reason other than its version (NOPERM, WRONGTYPE...) or retries run out.
    package func apply(_ writes: [VersionedWrite]) throws(RedisError) -> [WriteOutcome] {
        var outcomes = [WriteOutcome?](repeating: nil, count: writes.count)
        let slots = writes.map { HashSlot.slot(of: $0.key) }
        var pending = Array(writes.indices)
        var alone: [Int] = []
        var attempt = 0
        while !pending.isEmpty {
            let calls = batchCalls(pending, writes: writes, slots: slots, alone: &alone)
            var round = Round()
            for (node, result) in client.perNode(calls.work) {
                try collect(
                    result, node: node, chunks: calls.rowsOf[node, default: []], writes: writes, round: &round,
                    outcomes: &outcomes, alone: &alone)
            }
            pending = round.retry
            if pending.isEmpty { break }
            attempt += 1
            try backOff(attempt: attempt, unapplied: pending.count, round: round)
        }
        if !alone.isEmpty { try applyAlone(alone, writes: writes, slots: slots, into: &outcomes) }
        return try tally(outcomes)
    }

    /// One round's batched calls: per node, its FCALLs and the rows each one carries.
    private struct BatchCalls {
        var work: [RedisEndpoint: [RedisCommand]] = [:]
        var rowsOf: [RedisEndpoint: [ArraySlice<Int>]] = [:]
    }

    /// What one round of batched calls left to do.
    private struct Round {
        var retry: [Int] = []
        var pause = false
        var cause: String? = nil
        var reloaded: Set<RedisEndpoint> = []
    }

    /// Groups `pending` rows by the master that owns their slot, `rowsPerCall` rows per FCALL;
    /// rows whose slot has no known master go to `alone`.
    private func batchCalls(_ pending: [Int], writes: [VersionedWrite], slots: [Int], alone: inout [Int])
        -> BatchCalls
    {
        var byNode: [RedisEndpoint: [Int]] = [:]
        for i in pending {
            if let node = client.slotMap.master(forSlot: slots[i]) {
                byNode[node, default: []].append(i)
            } else {
                alone.append(i)
            }
        }
        var calls = BatchCalls()
        for (node, rows) in byNode {
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + rowsPerCall, rows.count)]
                calls.work[node, default: []].append(
                    ApplyBatch.batchCommand(
                        writes, indices: chunk, tombstoneMilliseconds: tombstoneMilliseconds, fence: fence?.token,
                        slots: slots))
                calls.rowsOf[node, default: []].append(chunk)
                start += rowsPerCall
            }
        }
        return calls
    }

    /// Records one node's replies: a connection failure retries all its rows after a pause.
    private func collect(
        _ result: Result<[RedisReply], RedisError>, node: RedisEndpoint, chunks: [ArraySlice<Int>],
        writes: [VersionedWrite], round: inout Round, outcomes: inout [WriteOutcome?], alone: inout [Int]
    ) throws(RedisError) {
        switch result {
        case .failure(let e):
            round.retry += chunks.flatMap { $0 }
            round.pause = true
            round.cause = e.description
        case .success(let replies):
            for (chunk, reply) in zip(chunks, replies) {
                switch ApplyBatch.rowResults(reply, count: chunk.count) {
                case .success(let rows):
                    for (i, r) in zip(chunk, rows) {
                        switch r {
                        case .outcome(let o):
                            outcomes[i] = o
                            touchedNodes.insert(node)
                        case .notLocal:
                            alone.append(i)
                        case .failed(let m):
                            throw rowError(m, key: writes[i].key, node: node)
                        }
                    }
                case .failure(let f):
                    try callFailed(f, chunk: chunk, node: node, round: &round, alone: &alone)
                }
            }
        }
    }

    /// A whole FCALL refused: reload the library, pause, re-route or give up, by the error.
    private func callFailed(
        _ f: ApplyBatch.CallFailure, chunk: ArraySlice<Int>, node: RedisEndpoint, round: inout Round,
        alone: inout [Int]
    ) throws(RedisError) {
        if f.isFunctionMissing {
            if round.reloaded.insert(node).inserted { try loadLibrary(on: [node]) }
        } else if f.isTransient {
            round.pause = true
        } else if ApplyBatch.isNotLocal(f.message) {
            // The whole call stopped on a key this node can't serve: rows before
            // it may be applied; re-sending them alone is safe (versions).
            alone += chunk
            return
        } else {
            throw RedisError(
                RedisError.code(forServerError: f.message),
                "FCALL \(ApplyLibrary.batchFunction) failed: \(f.message)", node: node.description)
        }
        round.retry += chunk
        round.cause = f.message
    }

    /// Counts a retry and waits before the next round (only when a node paused us).
    private func backOff(attempt: Int, unapplied: Int, round: Round) throws(RedisError) {
        stats.retries += 1
        guard let delay = client.options.retry.delay(forAttempt: attempt) else {
            throw RedisError(
                .retriesExhausted, "\(unapplied) row(s) unapplied after \(attempt - 1) retries",
                underlying: round.cause)
        }
        if round.pause {
            sleep(delay)
            try? client.refreshSlotMap()
        }
    }

    /// Every row's outcome, counted into `stats`.
    private func tally(_ outcomes: [WriteOutcome?]) throws(RedisError) -> [WriteOutcome] {
        var out: [WriteOutcome] = []
        out.reserveCapacity(outcomes.count)
        for o in outcomes {
            guard let o else { throw RedisError(.protocolViolation, "a row got no result") }
            out.append(o)
            if o == .applied { stats.applied += 1 } else { stats.staleRefused += 1 }
        }
        return out
    }

    /// Rows re-routed one by one with declared keys (the client follows MOVED/ASK/TRYAGAIN).
    private func applyAlone(_ rows: [Int], writes: [VersionedWrite], slots: [Int], into outcomes: inout [WriteOutcome?])
        throws(RedisError)
    {
        stats.rerouted += rows.count
        try? client.refreshSlotMap()
        var pending = rows
        var attempt = 0
        while !pending.isEmpty {
            let replies = try client.pipeline(
                pending.map {
                    (
                        ApplyBatch.singleCommand(
                            writes[$0], tombstoneMilliseconds: tombstoneMilliseconds, fence: fence?.token), slots[$0]
                    )
                })
            var retry: [Int] = []
            var cause: String? = nil
            var missing = false
            for (i, reply) in zip(pending, replies) {
                switch ApplyBatch.rowResults(reply, count: 1) {
                case .success(let r):
                    switch r[0] {
                    case .outcome(let o):
                        outcomes[i] = o
                        if let n = client.slotMap.master(forSlot: slots[i]) { touchedNodes.insert(n) }
                    case .notLocal(let m):
                        retry.append(i)
                        cause = m
                    case .failed(let m):
                        throw rowError(m, key: writes[i].key, node: client.slotMap.master(forSlot: slots[i]))
                    }
                case .failure(let f):
                    if f.isFunctionMissing {
                        missing = true
                    } else if !f.isTransient {
                        throw rowError(f.message, key: writes[i].key, node: client.slotMap.master(forSlot: slots[i]))
                    }
                    retry.append(i)
                    cause = f.message
                }
            }
            pending = retry
            if pending.isEmpty { break }
            attempt += 1
            stats.retries += 1
            guard let delay = client.options.retry.delay(forAttempt: attempt) else {
                throw RedisError(.retriesExhausted, "\(pending.count) re-routed row(s) unapplied", underlying: cause)
            }
            if missing { try loadLibrary() } else { sleep(delay) }
            try? client.refreshSlotMap()
        }
    }

    private func rowError(_ message: String, key: [UInt8], node: RedisEndpoint?) -> RedisError {
        RedisError(
            RedisError.code(forServerError: message),
            "applying key '\(String(decoding: key, as: UTF8.self))' failed: \(message)", node: node?.description)
    }
}

/// Counters of one applier, for metrics and the benchmark.
package struct ApplyStats: Sendable, Equatable {
    package var applied = 0
    package var staleRefused = 0
    /// Rows re-sent alone because their node could not serve them in the batch.
    package var rerouted = 0
    package var retries = 0
    package var libraryLoads = 0
    package init() {}
}
