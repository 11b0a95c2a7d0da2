import Dispatch
import Foundation

/// How to reach Redis: a cluster through seed nodes, or one standalone server.
package enum RedisTopology: Sendable, Equatable {
    case cluster(seeds: [RedisEndpoint])
    case standalone(RedisEndpoint)
}

/// A Redis Cluster (or standalone) client: slot map, MOVED/ASK, bounded backoff for TRYAGAIN and
/// CLUSTERDOWN, one connection per node (reconnected when broken), and pipelining grouped per node
/// with the nodes served in parallel. Not for concurrent use by several callers: each sink owns one.
package final class RedisClusterClient {
    package let topology: RedisTopology
    package let options: RedisOptions
    package internal(set) var slotMap: SlotMap
    private var connections: [RedisEndpoint: RedisConnection] = [:]
    private let sleep: @Sendable (Double) -> Void

    /// Connects to the first reachable seed and loads the slot map (cluster mode).
    package init(
        topology: RedisTopology, options: RedisOptions = RedisOptions(),
        sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) throws(RedisError) {
        self.topology = topology
        self.options = options
        self.sleep = sleep
        switch topology {
        case .standalone(let node):
            slotMap = SlotMap(single: node)
            _ = try connection(to: node)
        case .cluster(let seeds):
            guard !seeds.isEmpty else { throw RedisError(.usage, "no seed nodes given") }
            slotMap = SlotMap()
            try refreshSlotMap()
        }
    }

    package var isCluster: Bool { if case .cluster = topology { return true } else { return false } }

    /// Masters that serve at least one slot.
    package var masters: [RedisEndpoint] {
        slotMap.masters.filter { !slotMap.ranges(of: $0).isEmpty }
    }

    /// Reloads the slot map from any known node (current masters first, then the seeds).
    package func refreshSlotMap() throws(RedisError) {
        guard case .cluster(let seeds) = topology else { return }
        var candidates = slotMap.masters
        for s in seeds where !candidates.contains(s) { candidates.append(s) }
        var lastError: RedisError? = nil
        for node in candidates {
            do {
                let reply = try connection(to: node).command(RedisCommand("CLUSTER", "SLOTS"))
                if let m = reply.errorMessage {
                    lastError = RedisError(
                        RedisError.code(forServerError: m), "CLUSTER SLOTS refused: \(m)", node: node.description)
                    continue
                }
                let map = try SlotMap(clusterSlots: reply, replyingHost: node.host)
                if map.masters.isEmpty {
                    lastError = RedisError(.slotUncovered, "no slots assigned", node: node.description)
                    continue
                }
                slotMap = map
                return
            } catch {
                drop(node)
                lastError = error
            }
        }
        throw lastError ?? RedisError(.connect, "no node reachable")
    }

    /// The node's connection, opened (with AUTH) when missing or broken.
    package func connection(to node: RedisEndpoint) throws(RedisError) -> RedisConnection {
        if let c = connections[node], !c.broken { return c }
        connections[node] = nil
        let c = try RedisConnection(endpoint: node, options: options)
        connections[node] = c
        return c
    }

    /// Forgets a node's connection (it will be reopened on next use).
    package func drop(_ node: RedisEndpoint) { connections[node] = nil }

    /// One command routed by `key`'s slot (any master when nil), following redirects. Error replies
    /// that are not redirects are returned as `.error`.
    package func send(_ command: RedisCommand, key: [UInt8]?) throws(RedisError) -> RedisReply {
        try pipeline([(command, key.map { HashSlot.slot(of: $0) })])[0]
    }

    package func send(_ command: RedisCommand, key: String) throws(RedisError) -> RedisReply {
        try send(command, key: Array(key.utf8))
    }

    /// Sends `requests` (command, slot) grouped per node, all nodes in parallel, one round trip
    /// per node per round; MOVED/ASK/TRYAGAIN/CLUSTERDOWN and lost connections are retried within
    /// the retry budget. Replies come back in request order. A request retried after a lost
    /// connection may have run twice: callers send only commands that tolerate that.
    package func pipeline(_ requests: [(RedisCommand, Int?)]) throws(RedisError) -> [RedisReply] {
        var replies = [RedisReply?](repeating: nil, count: requests.count)
        var plan = PipelinePlan(slots: requests.map { $0.1 })
        while !plan.isFinished {
            let (byNode, uncovered) = plan.groups(using: slotMap)
            if let u = uncovered.first, byNode.isEmpty {
                throw RedisError(.slotUncovered, "no node serves slot \(u.slot ?? -1)")
            }
            let nodes = Array(byNode.keys)
            let batches: [[RedisCommand]] = nodes.map { node in
                byNode[node, default: []].flatMap { p -> [RedisCommand] in
                    p.askTarget == nil ? [requests[p.index].0] : [RedisCommand("ASKING"), requests[p.index].0]
                }
            }
            let results = runParallel(nodes: nodes, batches: batches)
            var outcomes: [(PipelinePlan.Pending, Result<RedisReply, RedisError>, RedisEndpoint)] = []
            for (n, node) in nodes.enumerated() {
                let group = byNode[node, default: []]
                switch results[n] {
                case .failure(let e):
                    drop(node)
                    outcomes += group.map { ($0, .failure(e), node) }
                case .success(let rs):
                    var i = 0
                    for p in group {
                        if p.askTarget != nil { i += 1 }  // the ASKING reply
                        outcomes.append(
                            (
                                p,
                                i < rs.count
                                    ? .success(rs[i])
                                    : .failure(RedisError(.protocolViolation, "missing reply", node: node.description)),
                                node
                            ))
                        i += 1
                    }
                }
            }
            outcomes += uncovered.map {
                (
                    $0, .failure(RedisError(.slotUncovered, "no node serves slot \($0.slot ?? -1)")),
                    slotMap.masters.first ?? RedisEndpoint(host: "?", port: 0)
                )
            }
            for (i, r) in plan.record(outcomes, map: &slotMap) { replies[i] = r }
            if plan.isFinished { break }
            guard let delay = options.retry.delay(forAttempt: plan.round) else {
                throw RedisError(
                    .retriesExhausted,
                    "\(plan.pending.count) request(s) unresolved after \(options.retry.maxAttempts) retries",
                    underlying: plan.lastCause)
            }
            if plan.needsPause { sleep(delay) }
            if plan.needsRefresh { try? refreshSlotMap() }
        }
        return replies.map { $0 ?? .null }
    }

    /// Sends each node its own list of commands (no routing, no redirect handling), all nodes in
    /// parallel; a node whose connection fails gets `.failure` and its connection is dropped.
    package func perNode(_ work: [RedisEndpoint: [RedisCommand]]) -> [RedisEndpoint: Result<[RedisReply], RedisError>] {
        let nodes = Array(work.keys)
        let results = runParallel(nodes: nodes, batches: nodes.map { work[$0, default: []] })
        var out: [RedisEndpoint: Result<[RedisReply], RedisError>] = [:]
        for (i, node) in nodes.enumerated() {
            if case .failure = results[i] { drop(node) }
            out[node] = results[i]
        }
        return out
    }

    /// Runs each node's pipeline on its own connection; connections are opened serially first so
    /// the dictionary is only touched from this thread.
    private func runParallel(nodes: [RedisEndpoint], batches: [[RedisCommand]]) -> [Result<[RedisReply], RedisError>] {
        var opened: [Result<RedisConnection, RedisError>] = []
        for node in nodes {
            do { opened.append(.success(try connection(to: node))) } catch { opened.append(.failure(error)) }
        }
        let conns = opened
        let box = ResultBox(count: nodes.count)
        let run: @Sendable (Int) -> Void = { i in
            switch conns[i] {
            case .failure(let e): box.set(i, .failure(e))
            case .success(let c):
                do throws(RedisError) { box.set(i, .success(try c.pipeline(batches[i]))) } catch {
                    box.set(i, .failure(error))
                }
            }
        }
        if nodes.count == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: nodes.count, execute: run) }
        return box.results
    }
}

/// Collects per-node results from parallel workers.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<[RedisReply], RedisError>]

    init(count: Int) {
        storage = Array(repeating: .failure(RedisError(.io, "not run")), count: count)
    }

    func set(_ i: Int, _ r: Result<[RedisReply], RedisError>) {
        lock.lock()
        storage[i] = r
        lock.unlock()
    }

    var results: [Result<[RedisReply], RedisError>] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
