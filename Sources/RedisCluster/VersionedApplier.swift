import Foundation

/// Applies version-checked row writes to a cluster: rows grouped by the node that owns their slot,
/// many rows per `FCALL sluice_apply`, all nodes in parallel, every node's calls pipelined. A row
/// its node can't serve (slot moved or migrating) is re-sent alone through `sluice_apply_one` with
/// declared keys, so the client's MOVED/ASK/TRYAGAIN handling routes it; rows that already
/// succeeded are not sent again. Retrying is safe in any case: the version check makes a repeat a
/// no-op. The library is loaded on demand when a node answers that it is missing.
public final class VersionedApplier {
    public let client: RedisClusterClient
    /// How long a delete's tombstone version lives, in ms (0 = forever).
    public let tombstoneMilliseconds: Int64
    /// Rows per FCALL.
    public let rowsPerCall: Int
    private let sleep: @Sendable (Double) -> Void
    public private(set) var stats = ApplyStats()
    /// Masters written to since the last `resetTouchedNodes()` (for WAIT before a checkpoint).
    public private(set) var touchedNodes: Set<RedisEndpoint> = []

    public init(
        client: RedisClusterClient, tombstoneTTLSeconds: Int64, rowsPerCall: Int = 200,
        sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) {
        self.client = client
        self.tombstoneMilliseconds = max(tombstoneTTLSeconds, 0) * 1000
        self.rowsPerCall = max(rowsPerCall, 1)
        self.sleep = sleep
    }

    public func resetTouchedNodes() { touchedNodes = [] }
    /// The lease holder's fencing token (guarantee 7): when set, every call carries it and a node
    /// that stored a greater one refuses the call (`RedisError.Code.fenced`), writing nothing.
    public var fence: FenceToken?

    /// `FUNCTION LOAD REPLACE` on the given nodes (default: every master serving slots).
    public func loadLibrary(on nodes: [RedisEndpoint]? = nil) throws(RedisError) {
        stats.libraryLoads += try FunctionLibrary.load(
            name: ApplyLibrary.name, source: ApplyLibrary.source, client: client, on: nodes)
    }

    /// Applies `writes` and returns one outcome per write, in order. Throws when a row is refused
    /// for a reason other than its version (NOPERM, WRONGTYPE...) or retries run out.
    public func apply(_ writes: [VersionedWrite]) throws(RedisError) -> [WriteOutcome] {
        var outcomes = [WriteOutcome?](repeating: nil, count: writes.count)
        let slots = writes.map { HashSlot.slot(of: $0.key) }
        var pending = Array(writes.indices)
        var alone: [Int] = []
        var attempt = 0
        while !pending.isEmpty {
            var work: [RedisEndpoint: [RedisCommand]] = [:]
            var rowsOf: [RedisEndpoint: [ArraySlice<Int>]] = [:]
            var byNode: [RedisEndpoint: [Int]] = [:]
            for i in pending {
                if let node = client.slotMap.master(forSlot: slots[i]) {
                    byNode[node, default: []].append(i)
                } else {
                    alone.append(i)
                }
            }
            for (node, rows) in byNode {
                var start = 0
                while start < rows.count {
                    let chunk = rows[start..<min(start + rowsPerCall, rows.count)]
                    work[node, default: []].append(
                        ApplyBatch.batchCommand(
                            writes, indices: chunk, tombstoneMilliseconds: tombstoneMilliseconds, fence: fence?.token,
                            slots: slots))
                    rowsOf[node, default: []].append(chunk)
                    start += rowsPerCall
                }
            }
            var retry: [Int] = []
            var pause = false
            var cause: String? = nil
            var reloaded: Set<RedisEndpoint> = []
            for (node, result) in client.perNode(work) {
                let chunks = rowsOf[node, default: []]
                switch result {
                case .failure(let e):
                    retry += chunks.flatMap { $0 }
                    pause = true
                    cause = e.description
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
                            if f.isFunctionMissing {
                                if reloaded.insert(node).inserted { try loadLibrary(on: [node]) }
                            } else if f.isTransient {
                                pause = true
                            } else if ApplyBatch.isNotLocal(f.message) {
                                // The whole call stopped on a key this node can't serve: rows before
                                // it may be applied; re-sending them alone is safe (versions).
                                alone += chunk
                                continue
                            } else {
                                throw RedisError(
                                    RedisError.code(forServerError: f.message),
                                    "FCALL \(ApplyLibrary.batchFunction) failed: \(f.message)", node: node.description)
                            }
                            retry += chunk
                            cause = f.message
                        }
                    }
                }
            }
            pending = retry
            if pending.isEmpty { break }
            attempt += 1
            stats.retries += 1
            guard let delay = client.options.retry.delay(forAttempt: attempt) else {
                throw RedisError(
                    .retriesExhausted, "\(pending.count) row(s) unapplied after \(attempt - 1) retries",
                    underlying: cause)
            }
            if pause {
                sleep(delay)
                try? client.refreshSlotMap()
            }
        }
        if !alone.isEmpty { try applyAlone(alone, writes: writes, slots: slots, into: &outcomes) }
        var out: [WriteOutcome] = []
        out.reserveCapacity(writes.count)
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
public struct ApplyStats: Sendable, Equatable {
    public var applied = 0
    public var staleRefused = 0
    /// Rows re-sent alone because their node could not serve them in the batch.
    public var rerouted = 0
    public var retries = 0
    public var libraryLoads = 0
    public init() {}
}
