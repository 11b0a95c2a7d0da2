/// What a cluster node's error reply asks the client to do. Parsed by a small failable parser so
/// routing decisions are testable without sockets.
package enum ClusterReplyAction: Sendable, Equatable {
    /// `MOVED <slot> <host:port>`: the slot lives elsewhere for good; update the map and retry there.
    case moved(slot: Int, to: RedisEndpoint)
    /// `ASK <slot> <host:port>`: this one command goes to the target, preceded by ASKING.
    case ask(slot: Int, to: RedisEndpoint)
    /// `TRYAGAIN`: multi-key request during a slot migration; retry after a pause.
    case tryAgain
    /// `CLUSTERDOWN`: the cluster can't serve now (failover in progress); retry after a pause.
    case clusterDown
    /// Anything else: the reply is final.
    case done

    /// Classifies a reply. `replyingNode` fills in the host when a redirect omits it (`:6380`).
    package static func classify(_ reply: RedisReply, replyingNode: RedisEndpoint? = nil) -> ClusterReplyAction {
        guard case .error(let message) = reply else { return .done }
        return classify(errorMessage: message, replyingNode: replyingNode)
    }

    package static func classify(errorMessage message: String, replyingNode: RedisEndpoint? = nil) -> ClusterReplyAction
    {
        if let r = Redirection(parsing: message, defaultHost: replyingNode?.host) {
            return r.isAsk ? .ask(slot: r.slot, to: r.target) : .moved(slot: r.slot, to: r.target)
        }
        if message.hasPrefix("TRYAGAIN") { return .tryAgain }
        if message.hasPrefix("CLUSTERDOWN") { return .clusterDown }
        return .done
    }
}

/// A parsed `MOVED`/`ASK` error: kind, slot and target node.
package struct Redirection: Sendable, Equatable {
    package var isAsk: Bool
    package var slot: Int
    package var target: RedisEndpoint

    package init(isAsk: Bool, slot: Int, target: RedisEndpoint) {
        self.isAsk = isAsk
        self.slot = slot
        self.target = target
    }

    /// Parses `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381`; nil for anything else,
    /// including a slot outside 0..<16384 or a malformed address.
    package init?(parsing message: String, defaultHost: String? = nil) {
        let parts = message.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "MOVED": isAsk = false
        case "ASK": isAsk = true
        default: return nil
        }
        guard let slot = Int(parts[1]), slot >= 0, slot < HashSlot.count,
            let target = RedisEndpoint(parsing: parts[2], defaultHost: defaultHost)
        else { return nil }
        self.slot = slot
        self.target = target
    }
}
