/// Pure routing state for a pipelined batch on a cluster: which request goes to which node, and
/// what to do with each reply (done, re-route after MOVED, ASKING after ASK, back off). The client
/// does the I/O; this only decides, so it is tested without sockets.
package struct PipelinePlan: Sendable {
    package struct Pending: Sendable, Equatable {
        /// Position in the caller's request list (replies come back in that order).
        package var index: Int
        /// Slot of the request's key; nil for keyless commands (sent to any master).
        package var slot: Int?
        /// Set after ASK: send `ASKING` then the command to this node, once.
        package var askTarget: RedisEndpoint?
        package var attempts: Int
    }

    package private(set) var pending: [Pending]
    /// Largest attempt count seen, to pace the backoff.
    package private(set) var round = 0
    /// Set when some reply asked for the whole map to be reloaded (MOVED, connection loss).
    package private(set) var needsRefresh = false
    /// True when some request needs a pause before the next round (TRYAGAIN, CLUSTERDOWN, or its
    /// node was unreachable), as opposed to a plain redirect that is retried at once.
    package private(set) var needsPause = false
    /// The last redirect or error that caused a retry, for the final error message.
    package private(set) var lastCause: String?

    package init(slots: [Int?]) {
        pending = slots.enumerated().map { Pending(index: $0.offset, slot: $0.element, askTarget: nil, attempts: 0) }
    }

    /// Groups the pending requests by destination node using `map`. Requests whose slot no node
    /// serves come back in `uncovered`.
    package func groups(using map: SlotMap) -> (byNode: [RedisEndpoint: [Pending]], uncovered: [Pending]) {
        var byNode: [RedisEndpoint: [Pending]] = [:]
        var uncovered: [Pending] = []
        let anyNode = map.masters.first
        for p in pending {
            let target: RedisEndpoint?
            if let ask = p.askTarget {
                target = ask
            } else if let slot = p.slot {
                target = map.master(forSlot: slot)
            } else {
                target = anyNode
            }
            if let target { byNode[target, default: []].append(p) } else { uncovered.append(p) }
        }
        return (byNode, uncovered)
    }

    /// Records the outcome of one round. `outcomes` holds, per request sent, either its reply or
    /// the connection error of its node. Returns the finished (index, reply) pairs; everything else
    /// stays pending with its attempt counted. `map` gets MOVED slots patched in.
    package mutating func record(
        _ outcomes: [(Pending, Result<RedisReply, RedisError>, RedisEndpoint)],
        map: inout SlotMap
    ) -> [(Int, RedisReply)] {
        var done: [(Int, RedisReply)] = []
        var next: [Pending] = []
        needsRefresh = false
        needsPause = false
        for (p, result, node) in outcomes {
            var q = p
            q.askTarget = nil
            switch result {
            case .failure(let e):
                needsRefresh = true
                needsPause = true
                lastCause = e.description
                q.attempts += 1
                next.append(q)
            case .success(let reply):
                switch ClusterReplyAction.classify(reply, replyingNode: node) {
                case .done:
                    done.append((p.index, reply))
                case .moved(let slot, let to):
                    map.assign(slot: slot, to: to)
                    needsRefresh = true
                    lastCause = reply.errorMessage
                    q.attempts += 1
                    next.append(q)
                case .ask(_, let to):
                    q.askTarget = to
                    lastCause = reply.errorMessage
                    q.attempts += 1
                    next.append(q)
                case .tryAgain, .clusterDown:
                    needsPause = true
                    lastCause = reply.errorMessage
                    q.attempts += 1
                    next.append(q)
                }
            }
        }
        pending = next
        round = next.map(\.attempts).max() ?? 0
        return done
    }

    package var isFinished: Bool { pending.isEmpty }
}
