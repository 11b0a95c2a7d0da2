import Foundation
import Ops
import RedisCluster
import Timekeeping

/// What the active instance holds while it replicates under `[ha]`: the lease, its fencing token
/// (set into every Redis writer) and when to renew (`now`: seconds on the monotonic clock; the
/// lease's expiry itself is Redis's).
package final class LeaseHolder {
    package let lease: LeaderLease
    package let fence: FenceToken
    package let token: Int64
    private var renewedAt: Double
    private var nextRenewal: Double

    init(lease: LeaderLease, token: Int64, now: Double) {
        self.lease = lease
        self.token = token
        fence = FenceToken(token)
        renewedAt = now
        nextRenewal = now + Self.renewalPeriod(lease)
    }

    private static func renewalPeriod(_ lease: LeaderLease) -> Double { Double(lease.ttlMilliseconds) / 3000 }

    /// Renews when due (every TTL / 3). Nil while the lease is this instance's; else why it must
    /// step down: another instance holds it now, or it could not be renewed for a whole TTL.
    package func check(now: Double) -> String? {
        guard now >= nextRenewal else { return nil }
        do {
            if try lease.renew() {
                renewedAt = now
                nextRenewal = now + Self.renewalPeriod(lease)
                return nil
            }
            return "the lease \(lease.key) expired and is no longer this instance's (token \(token))"
        } catch {
            if now - renewedAt >= Double(lease.ttlMilliseconds) / 1000 {
                return "the lease \(lease.key) could not be renewed for its whole TTL: \(error)"
            }
            nextRenewal = now + 0.2
            return nil
        }
    }
}

extension Daemon {
    /// Under `[ha]`: waits as the standby (not ready; the status names the active instance) until
    /// this instance wins the lease, polling every TTL / 5. Nil when a stop signal came first.
    func waitForLease(_ ha: HAConfig, hooks: Hooks) throws -> LeaseHolder? {
        guard let c = config.redis(named: ha.cluster) else {
            throw DaemonError("[ha] cluster: no [redis.\(ha.cluster)]")
        }
        let client = try RedisClusterClient(topology: RedisTopology(config: c), options: RedisOptions(config: c))
        let lease = LeaderLease(client: client, leaseKey: ha.leaseKey, instance: ha.instance, ttlMilliseconds: ha.ttlMS)
        let started = Stopwatch(clock: clock)
        var shown: String?
        while true {
            if let signal = hooks.stopSignal() {
                hooks.stopping("\(signal) while standby")
                logger.info("stop requested while standby", ["signal": .string(signal)])
                return nil
            }
            let now = clock.monotonicNow()
            var text: String
            do {
                switch try lease.acquire() {
                case .held(let token):
                    logger.notice(
                        "lease acquired: this instance is active",
                        [
                            "instance": .string(ha.instance), "fencing_token": .init(Int(token)),
                            "waited_ms": .init(Int(started.seconds * 1000)), "lease": .string(lease.key),
                        ])
                    return LeaseHolder(lease: lease, token: token, now: now.seconds)
                case .heldByOther(let instance, let token):
                    text = "standby: \(instance) is active (fencing token \(token))"
                }
            } catch {
                text = "standby: the lease \(lease.key) cannot be read: \(error)"
            }
            if text != shown {
                logger.info(text, ["instance": .string(ha.instance)])
                shown = text
            }
            hooks.standby(text)
            let until = Deadline(in: Double(ha.ttlMS) / 5000, clock: clock)
            while !until.hasPassed, hooks.stopSignal() == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
    }

    /// Every sink of this run carries the holder's token, after the fences of the cluster
    /// written were raised to it (a newer holder found there: `.fenced`, nothing written). The
    /// Kafka sink's checkpoints live in the same cluster as the Redis sink's (`replicate` makes
    /// both from one `[redis.*]`), so one raise covers both. The lease is renewed between rounds.
    func fence(_ redis: RedisSink, sinks: [any Sink], holder: LeaseHolder?) throws {
        guard let holder else { return }
        let started = Stopwatch(clock: clock)
        try Fencing.raise(to: holder.token, in: redis.applier.client) { [clock] in
            holder.check(now: clock.monotonicNow().seconds) == nil
        }
        for sink in sinks { sink.fence(holder.fence) }
        logger.info(
            "fences raised: writes of older holders are refused from now on",
            ["fencing_token": .init(Int(holder.token)), "ms": .init(Int(started.seconds * 1000))])
    }

    /// A write or fence raise found a newer holder's token: this instance must not write. Counted
    /// (`sluice_errors_total{kind="fenced"}`) and logged; exit 1.
    func refusedByFence(_ error: RedisError, hooks: Hooks) -> Int32 {
        metrics.error(.fenced)
        hooks.stopping("stepped down: \(error)")
        logger.error(
            "write refused by the fence, another instance holds the lease; stepping down", ["error": "\(error)"])
        return 1
    }

    /// The lease is lost: stop writing and exit 1 (the service manager restarts the instance,
    /// which then waits as the standby).
    func stepDown(_ reason: String, pipeline: SinkPipeline, hooks: Hooks) -> Int32 {
        _ = pipeline.drain(timeoutSeconds: 0)
        metrics.error(.leaseLost)
        hooks.stopping("stepped down: \(reason)")
        logger.error(
            "stepping down: another instance may be active; nothing more is written",
            ["reason": .string(reason), "checkpoint": .string(pipeline.committed.map { "\($0.position)" } ?? "none")])
        return 1
    }
}
