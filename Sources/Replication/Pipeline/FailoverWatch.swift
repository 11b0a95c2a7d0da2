import RedisCluster

/// The primary cluster's nodes as `CLUSTER NODES` lists them: each node's id, address, whether
/// it is a master that serves slots, and whether it is marked failing.
package struct ClusterRoles: Sendable, Equatable {
    package struct Node: Sendable, Equatable {
        package var id: String
        package var address: String
        package var servesSlots: Bool
        package var isMaster: Bool
    }

    package var nodes: [String: Node]

    /// Parses the `CLUSTER NODES` text; lines that don't have the documented fields are skipped.
    package init(clusterNodes text: String) {
        var nodes: [String: Node] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8 else { continue }
            let flags = fields[2].split(separator: ",")
            let master = flags.contains("master")
            let failing = flags.contains("fail") || flags.contains("fail?")
            let id = String(fields[0])
            let address = String(fields[1].split(separator: "@").first ?? fields[1])
            nodes[id] = Node(
                id: id, address: address, servesSlots: master && !failing && fields.count > 8, isMaster: master)
        }
        self.nodes = nodes
    }

    /// The topology as a cluster client's slot map (`CLUSTER SLOTS`, patched by `MOVED`) shows
    /// it: nodes are named by address, masters serving slots first; a node listed both as a master
    /// and as a replica (a promotion the map only half knows) counts as the master.
    package init(slotMap: SlotMap) {
        var nodes: [String: Node] = [:]
        for (i, master) in slotMap.masters.enumerated() {
            let name = master.description
            nodes[name] = Node(
                id: name, address: name, servesSlots: !slotMap.ranges(of: master).isEmpty, isMaster: true)
            for replica in slotMap.replicas[i] where nodes[replica.description] == nil {
                nodes[replica.description] = Node(
                    id: replica.description, address: replica.description, servesSlots: false, isMaster: false)
            }
        }
        self.nodes = nodes
    }

    /// Reads the topology from any node of `client`'s cluster.
    package init(from client: RedisClusterClient) throws(RedisError) {
        let reply = try client.send(RedisCommand("CLUSTER", "NODES"), key: nil as [UInt8]?)
        guard let text = reply.text else {
            throw RedisError(.protocolViolation, "CLUSTER NODES answered \(reply)")
        }
        self.init(clusterNodes: text)
    }
}

/// Redis failover safety. A Redis master acknowledges writes before its replicas have them; when
/// it fails and a replica takes over, the acknowledged writes the replica lacked are gone, though
/// the sink's checkpoint is past them. So when a node that was a replica (or that was not known)
/// now serves slots as a master, the daemon rewinds to the checkpoint every replica confirmed
/// (`CheckpointCoordinator.replicated`, kept by `WAIT`) and replays from there; versions make the
/// replay harmless. Slots moving between masters that already served slots (resharding) and a
/// master that gains slots after being empty lose nothing and cause no rewind.
package struct FailoverWatch: Sendable, Equatable {
    package enum Decision: Sendable, Equatable {
        case none
        case rewind(reason: String)
    }

    private var known: ClusterRoles?

    package init() {}

    package mutating func observe(_ now: ClusterRoles) -> Decision {
        defer { known = Self.remembering(known, in: now) }
        guard let before = known else { return .none }
        let promoted = now.nodes.values.filter { node in
            guard node.servesSlots else { return false }
            guard let was = before.nodes[node.id] else { return true }
            return !was.isMaster
        }.sorted { $0.address < $1.address }
        guard !promoted.isEmpty else { return .none }
        let names = promoted.map {
            before.nodes[$0.id] == nil ? "\($0.address) (new node)" : "\($0.address) (was a replica)"
        }
        return .rewind(
            reason: "primary cluster master change: \(names.joined(separator: ", ")) now serves slots; "
                + "writes its old master acknowledged may be lost, so the daemon replays from the checkpoint the replicas confirmed"
        )
    }

    /// `now`, plus the replicas an earlier look listed that `now` does not: a look taken while a
    /// master fails can leave its replica out, and the replica is still the one that takes over.
    /// A master `now` lacks is forgotten: should it come back serving slots it is a new node
    /// (it may have lost its data), and either way a node serving slots that was not a master
    /// makes the daemon rewind.
    static func remembering(_ before: ClusterRoles?, in now: ClusterRoles) -> ClusterRoles {
        var merged = now
        for (id, node) in before?.nodes ?? [:] where !node.isMaster && merged.nodes[id] == nil {
            merged.nodes[id] = node
        }
        return merged
    }
}
