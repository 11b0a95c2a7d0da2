import Foundation
import RedisCluster

/// The `[ha]` lease (guarantee 7): one key in a Redis cluster naming the instance that may write,
/// with a TTL, and a counter beside it that gives every new holder a greater fencing token.
///
/// Keys (one slot): `{<lease_key>}` holds `<instance>|<nonce>|<token>` with a TTL;
/// `{<lease_key>}:token` counts holders. The nonce is per process, so an instance restarted under
/// the same name is a new holder with a new token, never the old one's lease.
/// - `acquire`: a free lease is taken with the next token; a lease this process holds is renewed;
///   another's is reported (its instance and token).
/// - `renew`: extends the TTL only while the key still holds this holder's value.
/// - `release`: deletes the key only while it holds this holder's value (a clean stop hands over
///   at once instead of after the TTL).
package final class LeaderLease {
    package enum State: Sendable, Equatable {
        case held(token: Int64)
        case heldByOther(instance: String, token: Int64)
    }

    private let client: RedisClusterClient
    package let key: String
    package let tokenKey: String
    package let instance: String
    package let ttlMilliseconds: Int
    private let nonce: String
    private var value: String?

    package init(client: RedisClusterClient, leaseKey: String, instance: String, ttlMilliseconds: Int) {
        self.client = client
        key = "{\(leaseKey)}"
        tokenKey = "{\(leaseKey)}:token"
        self.instance = instance
        self.ttlMilliseconds = ttlMilliseconds
        nonce = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    private static let acquireScript = """
        local cur = redis.call('GET', KEYS[1])
        if cur then
          if string.sub(cur, 1, #ARGV[1]) == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
          end
          return cur
        end
        local token = redis.call('INCR', KEYS[2])
        local v = ARGV[1] .. token
        redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
        return v
        """

    private static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """

    private static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// Takes the lease when free (or renews it when this process holds it); else says who holds it.
    package func acquire() throws(RedisError) -> State {
        let prefix = "\(instance)|\(nonce)|"
        let reply = try client.send(
            RedisCommand("EVAL", Self.acquireScript, "2", key, tokenKey, prefix, String(ttlMilliseconds)), key: key)
        guard let text = reply.text else {
            throw RedisError(.protocolViolation, "acquiring lease \(key) answered \(reply)")
        }
        let (holder, token) = try Self.parse(text, key: key)
        if text.hasPrefix(prefix) {
            value = text
            return .held(token: token)
        }
        return .heldByOther(instance: holder, token: token)
    }

    /// Who holds the lease at `leaseKey` now (for `sluice status`); nil when nobody does.
    package static func holder(client: RedisClusterClient, leaseKey: String) throws(RedisError) -> (
        instance: String, token: Int64
    )? {
        let key = "{\(leaseKey)}"
        let reply = try client.send(RedisCommand("GET", key), key: key)
        if let m = reply.errorMessage {
            throw RedisError(RedisError.code(forServerError: m), "reading lease \(key): \(m)")
        }
        guard let text = reply.text else { return nil }
        return try parse(text, key: key)
    }

    /// `instance|nonce|token` as (instance, token).
    private static func parse(_ text: String, key: String) throws(RedisError) -> (String, Int64) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let token = Int64(parts[2]) else {
            throw RedisError(.protocolViolation, "lease \(key) holds \"\(text)\", not instance|nonce|token")
        }
        return (String(parts[0]), token)
    }

    /// True when this holder still held the lease and its TTL was extended.
    package func renew() throws(RedisError) -> Bool {
        guard let value else { return false }
        let reply = try client.send(
            RedisCommand("EVAL", Self.renewScript, "1", key, value, String(ttlMilliseconds)), key: key)
        return reply.int == 1
    }

    /// Gives the lease up if this holder still has it.
    package func release() throws(RedisError) {
        guard let value else { return }
        _ = try client.send(RedisCommand("EVAL", Self.releaseScript, "1", key, value), key: key)
        self.value = nil
    }
}
