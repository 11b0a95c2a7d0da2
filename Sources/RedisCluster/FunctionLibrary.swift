/// Loads a Redis function library (`FUNCTION LOAD REPLACE`) on cluster masters: the one way every
/// library of sluice is installed (the apply library, the ledger's risk rules). Loading is
/// idempotent, so a caller that meets `Function not found` (a restarted or new master) loads again
/// and retries.
package enum FunctionLibrary {
    /// Loads `source` (a `#!lua name=<name>` library) on `nodes` (default: every master serving
    /// slots), all in parallel; returns how many nodes loaded it. Throws naming the node that
    /// refused.
    @discardableResult
    package static func load(
        name: String, source: String, client: RedisClusterClient, on nodes: [RedisEndpoint]? = nil
    ) throws(RedisError) -> Int {
        let targets = nodes ?? client.masters
        var cmd = RedisCommand("FUNCTION", "LOAD", "REPLACE")
        cmd.append(source)
        var loaded = 0
        for (node, result) in client.perNode(Dictionary(uniqueKeysWithValues: targets.map { ($0, [cmd]) })) {
            let reply = try result.get()[0]
            if let m = reply.errorMessage {
                throw RedisError(
                    RedisError.code(forServerError: m), "FUNCTION LOAD of library '\(name)' failed: \(m)",
                    node: node.description)
            }
            loaded += 1
        }
        return loaded
    }

    /// The error a node answers for a function it has not loaded (restarted or new master).
    package static func isMissing(_ message: String) -> Bool {
        message.contains("Function not found") || message.contains("function not found")
    }
}
