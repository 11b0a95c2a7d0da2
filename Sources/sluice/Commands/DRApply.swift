import Foundation
import Ops
import Replication
import Timekeeping

enum DRApplyCommand {
    static let command = Command(
        "dr-apply",
        abstract: "Apply the Kafka row changes to the DR Redis cluster (version-checked, resumable)",
        discussion: """
            Reads the [dr_apply] topics with explicit partition assignment, applies every message's
            row through the [[mapping]] tables to the [redis.NAME] cluster named by redis_cluster,
            and stores each partition's offset in that cluster after its rows are applied; a
            restart resumes there. Serves [metrics]; talks to systemd (Type=notify, watchdog).
            SIGTERM or SIGINT: finish the batch in hand, store its offsets, exit 0. A gap in a
            partition (docs/dr.md) exits 1 under on_gap = "halt".
            """,
        flags: [.config]
    ) { invocation in
        let config = try invocation.loadConfig()
        try Libraries.requireTestedKafka()
        try Libraries.validateKafka(config, producer: false)
        let logger = Logger.standardError(level: config.log.level, format: config.log.format)
        let stop = StopSignals()
        let registry = MetricsRegistry()
        let cluster = config.drApply?.redisCluster ?? "dr"
        let metrics = DRMetrics(registry: registry, cluster: cluster)
        let state = DRApplyState()
        let applier = try DRApplier.make(
            config: config, logger: logger, metrics: metrics,
            sleep: { seconds in
                state.alive()
                Thread.sleep(forTimeInterval: seconds)
            })
        let runtime = try ServiceRuntime(
            metrics: config.metrics, environment: invocation.environment, registry: registry, logger: logger,
            readiness: { state.readiness }, isHealthy: { state.healthy })
        defer { runtime.shutdown() }
        var started = false
        do {
            try applier.run(
                shouldStop: { stop.isStopping },
                afterStep: {
                    // Ready means caught up: nothing behind counts as no lag, however old the last change.
                    let lag: Double? =
                        applier.messagesBehind == 0 && !applier.ends.isEmpty
                        ? 0
                        : applier.lastCommitTime > 0
                            ? Date().timeIntervalSince1970 - Double(applier.lastCommitTime) : nil
                    state.update(lag: lag)
                    if !started {
                        started = true
                        runtime.ready(status: "applying to [redis.\(cluster)]")
                    }
                })
        } catch {
            state.halt("\(error)")
            runtime.stopping(status: "halted: \(error)")
            logger.log(.error, "dr-apply halted", ["error": "\(error)"])
            return .failure
        }
        runtime.stopping(status: "stopped by \(stop.signalName ?? "request")")
        logger.info(
            "dr-apply stopped",
            [
                "signal": .string(stop.signalName ?? "none"),
                "applied": .init(applier.counters.applied),
                "stale_refused": .init(applier.counters.staleRefused),
            ])
        return .success
    }
}

/// What `/readyz` and the watchdog read while the applier runs on another thread (the stall on
/// the monotonic clock).
final class DRApplyState: @unchecked Sendable {
    private let lock = NSLock()
    private let clock: any ServiceClock = SystemClock()
    private var lag: Double?
    private var halted: String?
    private var lastStep: MonotonicInstant

    init() { lastStep = clock.monotonicNow() }

    func update(lag: Double?) {
        let now = clock.monotonicNow()
        lock.lock()
        self.lag = lag
        lastStep = now
        lock.unlock()
    }

    /// The loop is holding (an outage), not hung.
    func alive() {
        let now = clock.monotonicNow()
        lock.lock()
        lastStep = now
        lock.unlock()
    }

    func halt(_ reason: String) {
        lock.lock()
        halted = reason
        lock.unlock()
    }

    var readiness: Readiness {
        lock.lock()
        defer { lock.unlock() }
        if let halted { return .notReady("halted: \(halted)") }
        guard let lag else { return .notReady("nothing applied yet") }
        return .lagging(seconds: lag)
    }

    /// Healthy while the loop turns (a step or a holding pause at least every 30 s) and has not halted.
    var healthy: Bool {
        lock.lock()
        defer { lock.unlock() }
        return halted == nil && clock.monotonicNow().seconds(since: lastStep) < 30
    }
}
