import Foundation
import Ops
import RedisCluster
import Timekeeping

extension RegionFailover {
    /// How long the drain may take before the failover gives up (the topics keep growing: the old
    /// region is not fenced, or its daemon still produces).
    static let drainSeconds = 120.0

    /// Step 1: the old region's lease taken over (no TTL) with the next fencing token and the
    /// fence keys of its cluster raised to it; what happened, as one line. An unreachable old
    /// region is reported, not an error (it is what a region failover usually meets).
    func fenceOldRegion() -> String {
        guard let ha = config.ha else { return "old region: no [ha] lease configured, nothing to fence" }
        guard let redis = config.redis(named: ha.cluster) else { return "old region: no [redis.\(ha.cluster)]" }
        let client: RedisClusterClient
        let holder: (instance: String, token: Int64)?
        do {
            client = try RedisClusterClient(
                topology: RedisTopology(config: redis), options: RedisOptions(config: redis))
            holder = try LeaderLease.holder(client: client, leaseKey: ha.leaseKey)
        } catch {
            return "old region: [redis.\(ha.cluster)] unreachable (\(error)); nothing fenced there"
        }
        let was = holder.map { "held by \($0.instance) with token \($0.token)" } ?? "free"
        if dryRun { return "old region: lease {\(ha.leaseKey)} \(was); would take it over and raise the fences" }
        do {
            let key = "{\(ha.leaseKey)}"
            let reply = try client.send(RedisCommand("INCR", key + ":token"), key: key)
            guard let token = reply.int else { throw RedisError(.protocolViolation, "INCR answered \(reply)") }
            _ = try client.send(RedisCommand("SET", key, "failover|\(getpid())|\(token)"), key: key)
            try Fencing.raise(to: Int64(token), in: client)
            logger.notice(
                "old region fenced", ["lease": .string(key), "token": .init(Int(token)), "was": .string(was)])
            return "old region: lease \(key) (\(was)) taken over with token \(token); fence keys raised"
        } catch {
            return "old region: fencing [redis.\(ha.cluster)] failed (\(error)); continuing"
        }
    }

    /// Step 2: the DR applier run to the end of the topics (dry run: only the stored offsets and
    /// the topic ends are read). Returns the stored watermark and the messages applied.
    func drain(_ dr: DRApplyConfig) throws -> (DRWatermarkPoint?, Int) {
        if dryRun {
            let redis = try IncidentTarget(config: config, cluster: dr.redisCluster)
            let offsets = try DROffsets.load(
                from: try redis.client(), key: DROffsets.key(prefix: "sluice:dr:offsets:", cluster: dr.redisCluster))
            let ends = try LagStatus.topicEnds(config: config, dr: dr, offsets: offsets, waitSeconds: 5)
            var behind: Int64 = 0
            for (p, end) in ends { behind += max(0, end - (offsets.entries[p]?.next ?? 0)) }
            say("DR applier: \(behind) message(s) behind the topic ends; would apply them first")
            return (offsets.watermark, 0)
        }
        let applier = try DRApplier.make(config: config, logger: logger, metrics: nil)
        guard applier.start() else { return (nil, 0) }
        let deadline = Deadline(in: Self.drainSeconds, clock: clock)
        var settled = 0
        while !deadline.hasPassed {
            try applier.step()
            let known = !applier.assigned.isEmpty && applier.assigned.allSatisfy { applier.ends[$0] != nil }
            // Two looks in a row at nothing behind: the ends come from fetch responses.
            settled = known && applier.messagesBehind == 0 ? settled + 1 : 0
            if settled >= 2 { break }
        }
        guard settled >= 2 else {
            throw DRError(
                .kafka,
                "the DR applier did not reach the end of the topics in \(Int(Self.drainSeconds)) s "
                    + "(\(applier.messagesBehind) message(s) behind)", place: "drain")
        }
        return (applier.watermark, applier.counters.messages)
    }
}
