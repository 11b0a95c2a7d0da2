import Foundation

/// The fencing token of the instance that holds the lease (guarantee 7), shared by everything
/// that writes for it: set when the lease is won, read by each write. Thread-safe.
package final class FenceToken: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64?

    package init(_ token: Int64? = nil) { value = token }

    package var token: Int64? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Fence keys: one per hash slot, `sluice:fence:{<tag>}` where `<tag>` is a short text hashing to
/// that slot, each holding the greatest fencing token that wrote into the slot. A new lease holder
/// raises all 16384 to its token before it writes (`raise`); from then on every write carrying an
/// older token is refused inside the same atomic call that would have written (the apply function,
/// `fencedCheckpointWrite`), so an old holder that was paused past its lease writes nothing.
package enum Fencing {
    /// How a refused write's error reply starts.
    package static let refusalPrefix = "FENCED"

    /// The fence key of `slot` (0 ..< 16384).
    package static func key(forSlot slot: Int) -> String { "sluice:fence:{\(tags[slot & 16383])}" }

    /// For each slot, the first base-36 number whose text hashes to it.
    private static let tags: [String] = {
        var table = [String?](repeating: nil, count: HashSlot.count)
        var missing = HashSlot.count
        var n = 0
        while missing > 0 {
            let text = String(n, radix: 36)
            let slot = HashSlot.slot(of: text)
            if table[slot] == nil {
                table[slot] = text
                missing -= 1
            }
            n += 1
        }
        return table.map { $0 ?? "" }
    }()

    /// Raises: sets the key to ARGV[1] unless it holds a greater token; answers the stored token.
    static let raiseScript = """
        local cur = tonumber(redis.call('GET', KEYS[1]))
        if cur and cur > tonumber(ARGV[1]) then return cur end
        redis.call('SET', KEYS[1], ARGV[1])
        return tonumber(ARGV[1])
        """

    /// Raises every slot's fence key in `client`'s cluster to `token`, in pipelined rounds of
    /// `round` slots. Throws `.fenced` when a slot already holds a greater token (a newer holder
    /// exists: this one must not write), or when `stillHolder`, asked after each round (it renews
    /// the lease when due: on a slow machine the whole raise can outlast a short TTL), says no.
    package static func raise(
        to token: Int64, in client: RedisClusterClient, round: Int = 2048, stillHolder: () -> Bool = { true }
    ) throws(RedisError) {
        for first in stride(from: 0, to: HashSlot.count, by: round) {
            let slots = first..<min(first + round, HashSlot.count)
            let requests = slots.map { slot in
                (RedisCommand("EVAL", raiseScript, "1", key(forSlot: slot), String(token)), Optional(slot))
            }
            let replies = try client.pipeline(requests)
            for (slot, reply) in zip(slots, replies) {
                if let m = reply.errorMessage {
                    throw RedisError(
                        RedisError.code(forServerError: m), "raising fence \(key(forSlot: slot)) failed: \(m)")
                }
                if let stored = reply.int, stored > token {
                    throw RedisError(
                        .fenced, "\(refusalPrefix) token \(token) is older than \(stored) at \(key(forSlot: slot))")
                }
            }
            if !stillHolder() {
                throw RedisError(.fenced, "\(refusalPrefix) the lease was lost while raising the fences to \(token)")
            }
        }
    }

    /// `EVAL` that writes `fields` into the hash `key` only when `token` is not older than the
    /// fence key of `key`'s slot (then raised to it); else answers `FENCED ...` and writes nothing.
    package static func fencedHashWrite(key: String, fields: [String], token: Int64) -> RedisCommand {
        var c = RedisCommand(
            "EVAL",
            """
            local cur = tonumber(redis.call('GET', KEYS[2]))
            local t = tonumber(ARGV[1])
            if cur and cur > t then
              return redis.error_reply('\(refusalPrefix) token ' .. ARGV[1] .. ' is older than ' .. cur .. ' at ' .. KEYS[2])
            end
            if not cur or cur < t then redis.call('SET', KEYS[2], ARGV[1]) end
            redis.call('HSET', KEYS[1], unpack(ARGV, 2))
            return 1
            """, "2", key, Fencing.key(forSlot: HashSlot.slot(of: key)), String(token))
        for f in fields { c.append(f) }
        return c
    }
}
