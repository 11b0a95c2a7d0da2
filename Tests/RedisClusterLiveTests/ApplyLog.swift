import Foundation
import RedisCluster

/// A deterministic change log for convergence tests: `keys` keys, `versions` versions each, every
/// fifth version of a key a delete, all keys under `prefix`.
struct ApplyLog {
    let prefix: String
    let keys: Int
    let versions: Int

    var writes: [VersionedWrite] {
        var out: [VersionedWrite] = []
        for v in 1...versions {
            for k in 0..<keys {
                let key = "\(prefix)acct:\(k)"
                if v % 5 == 0 {
                    out.append(VersionedWrite(key: key, version: String(v), value: .delete))
                } else if k % 2 == 0 {
                    out.append(
                        VersionedWrite(
                            key: key, version: String(v), value: .hash([.init("k", String(k)), .init("v", String(v))])))
                } else {
                    out.append(VersionedWrite(key: key, version: String(v), value: .string(Array("\(k)@\(v)".utf8))))
                }
            }
        }
        return out
    }

    /// What every key must hold after any replay: the value of its highest version.
    func expected(_ k: Int) -> (version: Int, value: String?) {
        let v = versions
        if v % 5 == 0 { return (v, nil) }
        return (v, k % 2 == 0 ? "k=\(k),v=\(v)" : "\(k)@\(v)")
    }

    /// The stored state of key k: (version, value rendered like `expected`).
    static func read(_ client: RedisClusterClient, key: String) throws -> (version: Int?, value: String?) {
        let version = try StoredVersion.read(client, key: key).flatMap { Int($0) }
        let type = try client.send(RedisCommand("TYPE", key), key: key).text ?? ""
        switch type {
        case "hash":
            let items = (try client.send(RedisCommand("HGETALL", key), key: key).elements ?? []).compactMap(\.text)
            var pairs: [String] = []
            var i = 0
            while i + 1 < items.count {
                if items[i] != VersionKey.hashFieldName { pairs.append("\(items[i])=\(items[i + 1])") }
                i += 2
            }
            return (version, pairs.sorted().joined(separator: ","))
        case "string":
            return (version, try client.send(RedisCommand("GET", key), key: key).text)
        default:
            return (version, nil)
        }
    }
}
