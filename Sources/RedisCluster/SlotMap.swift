/// Which master serves each of the 16384 slots: a plain array of node indexes (-1 = uncovered),
/// built from `CLUSTER SLOTS`. A value; the cluster client swaps it whole on refresh and patches
/// single slots on MOVED.
package struct SlotMap: Sendable, Equatable {
    /// Masters, in the order first seen in the CLUSTER SLOTS reply.
    package private(set) var masters: [RedisEndpoint]
    /// Replicas of each master (same index as `masters`), as announced.
    package private(set) var replicas: [[RedisEndpoint]]
    /// `owner[slot]` = index into `masters`, or -1.
    private var owner: [Int16]

    package init() {
        masters = []
        replicas = []
        owner = Array(repeating: -1, count: HashSlot.count)
    }

    /// A map where one node serves every slot (standalone mode).
    package init(single node: RedisEndpoint) {
        masters = [node]
        replicas = [[]]
        owner = Array(repeating: 0, count: HashSlot.count)
    }

    package func master(forSlot slot: Int) -> RedisEndpoint? {
        guard slot >= 0, slot < owner.count else { return nil }
        let i = Int(owner[slot])
        return i >= 0 ? masters[i] : nil
    }

    package var uncoveredSlots: Int { owner.reduce(0) { $0 + ($1 < 0 ? 1 : 0) } }

    /// Slots served by `node`, as closed ranges.
    package func ranges(of node: RedisEndpoint) -> [ClosedRange<Int>] {
        guard let i = masters.firstIndex(of: node) else { return [] }
        var out: [ClosedRange<Int>] = []
        var start: Int? = nil
        for s in 0...owner.count {
            let mine = s < owner.count && Int(owner[s]) == i
            if mine, start == nil { start = s }
            if !mine, let st = start {
                out.append(st...(s - 1))
                start = nil
            }
        }
        return out
    }

    /// Points one slot at `node` (after MOVED), adding the node as a master when new.
    package mutating func assign(slot: Int, to node: RedisEndpoint) {
        guard slot >= 0, slot < owner.count else { return }
        owner[slot] = Int16(index(of: node))
    }

    private mutating func index(of node: RedisEndpoint) -> Int {
        if let i = masters.firstIndex(of: node) { return i }
        masters.append(node)
        replicas.append([])
        return masters.count - 1
    }

    /// Builds the map from a `CLUSTER SLOTS` reply: an array of
    /// `[start, end, [host, port, id, ...], [replica host, port, id, ...]...]`.
    /// An empty host means "the address you reached me on": `replyingHost` is used.
    package init(clusterSlots reply: RedisReply, replyingHost: String) throws(RedisError) {
        self.init()
        guard let ranges = reply.elements else {
            throw RedisError(.protocolViolation, "CLUSTER SLOTS reply is not an array: \(reply)")
        }
        for (n, entry) in ranges.enumerated() {
            guard let e = entry.elements, e.count >= 3,
                let start = e[0].int, let end = e[1].int,
                start >= 0, end >= start, end < HashSlot.count
            else {
                throw RedisError(.protocolViolation, "CLUSTER SLOTS entry \(n) malformed: \(entry)")
            }
            let master = try Self.endpoint(e[2], replyingHost: replyingHost, entry: n)
            let i = index(of: master)
            for s in Int(start)...Int(end) { owner[s] = Int16(i) }
            for r in e.dropFirst(3) {
                let rep = try Self.endpoint(r, replyingHost: replyingHost, entry: n)
                if !replicas[i].contains(rep) { replicas[i].append(rep) }
            }
        }
    }

    private static func endpoint(_ node: RedisReply, replyingHost: String, entry: Int) throws(RedisError)
        -> RedisEndpoint
    {
        guard let f = node.elements, f.count >= 2, let host = f[0].text,
            let port = f[1].int, port > 0, port < 65536
        else {
            throw RedisError(.protocolViolation, "CLUSTER SLOTS entry \(entry): bad node \(node)")
        }
        return RedisEndpoint(host: host.isEmpty || host == "?" ? replyingHost : host, port: Int(port))
    }
}
