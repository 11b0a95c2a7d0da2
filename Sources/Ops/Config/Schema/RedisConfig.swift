/// `[redis.NAME]`: one Redis deployment sluice writes to (e.g. `primary`, `dr`).
package struct RedisConfig: Sendable, Equatable {
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        case cluster, standalone
    }

    package var name: String
    /// Addresses to discover the cluster from (standalone: the one server).
    package var seeds: [HostPort]
    package var mode: Mode
    package var user: String?
    package var password: Secret?
    package var connectTimeoutMS: Int
    package var commandTimeoutMS: Int
    /// Row changes per pipelined, version-checked batch.
    package var batchRows: Int
    /// After each batch, `WAIT` for this many replicas to acknowledge (0 = don't wait).
    package var waitReplicas: Int
    package var waitTimeoutMS: Int
    /// How long a delete's tombstone (its version) is kept; 0 = forever.
    package var tombstoneTTLSeconds: Int
    /// Prefix of the checkpoint keys sluice keeps in this cluster.
    package var checkpointPrefix: String
    /// `[redis.NAME.tls]`: TLS to every node of the deployment.
    package var tls: ClientTLS

    init?(name: String, _ reader: TableReader) {
        self.name = name
        if name.isEmpty || !name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" })
            || !name.isASCII
        {
            reader.context.error(
                .badValue, line: reader.line, keyPath: reader.path,
                "cluster name \"\(name)\" must be lower-case letters, digits, '_' or '-'")
        }
        let seeds = reader.hostPortArray("seeds", required: true)
        mode = reader.choice("mode", default: Mode.cluster)
        if mode == .standalone, let seeds, seeds.count > 1 {
            reader.badValue("seeds", "mode \"standalone\" takes exactly one address, got \(seeds.count)")
        }
        user = reader.nonEmptyString("user")
        password = reader.secret()
        connectTimeoutMS = reader.integer("connect_timeout_ms", default: 2000, range: 10...600_000) ?? 2000
        commandTimeoutMS = reader.integer("command_timeout_ms", default: 5000, range: 10...600_000) ?? 5000
        batchRows = reader.integer("batch_rows", default: 500, range: 1...100_000) ?? 500
        waitReplicas = reader.integer("wait_replicas", default: 0, range: 0...16) ?? 0
        waitTimeoutMS = reader.integer("wait_timeout_ms", default: 1000, range: 1...600_000) ?? 1000
        tombstoneTTLSeconds =
            reader.integer("tombstone_ttl_seconds", default: 604_800, range: 0...Int(Int32.max)) ?? 604_800
        checkpointPrefix = reader.nonEmptyString("checkpoint_prefix", default: "sluice:checkpoint:") ?? ""
        let tlsReader = reader.table("tls")
        tls = ClientTLS(tlsReader, requireCA: true)
        reader.attach("tls", tlsReader)
        guard let seeds else { return nil }
        self.seeds = seeds
    }
}

extension String {
    fileprivate var isASCII: Bool { unicodeScalars.allSatisfy(\.isASCII) }
}
