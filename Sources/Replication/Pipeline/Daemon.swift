import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster
import Timekeeping

/// `sluice run`: startup checks, the resume point, then BinlogSource -> TableFilter -> mapping ->
/// SinkPipeline (primary Redis + Kafka), the checkpoint moving only when every enabled sink
/// acknowledged. Stops on a stop signal (drain, checkpoint, exit 0 within
/// `[daemon] shutdown_timeout_ms`) or on an error retrying cannot fix (exit 1 with the reason and
/// the checkpoint it stays at). docs/daemon.md.
package final class Daemon {
    /// What the command wires to the operating system (systemd notifications, signals, reload).
    package struct Hooks {
        package var ready: (String) -> Void
        package var status: (String) -> Void
        /// The readiness lag each status period (see `DaemonReadiness.lag`), nil before the first event.
        package var lag: (Double?) -> Void
        package var stopping: (String) -> Void
        /// The first stop signal's name, nil while none came.
        package var stopSignal: () -> String?
        /// True once per SIGHUP.
        package var takeReload: () -> Bool
        /// The configuration file as it is now.
        package var reloadConfig: () throws -> SluiceConfig
        /// Under `[ha]`, while this instance waits for the lease: the standby status text.
        package var standby: (String) -> Void

        package init(
            ready: @escaping (String) -> Void = { _ in }, status: @escaping (String) -> Void = { _ in },
            lag: @escaping (Double?) -> Void = { _ in }, stopping: @escaping (String) -> Void = { _ in },
            stopSignal: @escaping () -> String?,
            takeReload: @escaping () -> Bool = { false }, reloadConfig: @escaping () throws -> SluiceConfig,
            standby: @escaping (String) -> Void = { _ in }
        ) {
            self.standby = standby
            self.ready = ready
            self.status = status
            self.lag = lag
            self.stopping = stopping
            self.stopSignal = stopSignal
            self.takeReload = takeReload
            self.reloadConfig = reloadConfig
        }
    }

    let config: SluiceConfig
    /// Monotonic for the loop's timers (status period, shutdown grace, lease renewal, silences),
    /// wall for the lag against the source's event times.
    let clock: any ServiceClock
    var logger: Logger
    private let makeLogger: (LogLevel) -> Logger
    let metrics: DaemonMetrics
    private let sinkMetrics: SinkMetrics
    /// Rows of the current transaction's earlier chunks (orders the changes of one big transaction).
    private var ordinal = 0
    /// The checkpoint shown by the status line and metrics: advances under the pipeline.
    package private(set) var lastCommitted: SinkCheckpoint?

    package init(
        config: SluiceConfig, registry: MetricsRegistry, clock: any ServiceClock = SystemClock(),
        makeLogger: @escaping (LogLevel) -> Logger
    ) {
        self.config = config
        self.clock = clock
        self.makeLogger = makeLogger
        logger = makeLogger(config.log.level)
        metrics = DaemonMetrics(registry: registry)
        sinkMetrics = SinkMetrics(registry: registry)
    }

    /// Runs until stopped; returns the exit code: 0 stopped by a signal, 3 refused to start by
    /// the startup checks or prerequisites, 1 any other failure.
    package func run(_ hooks: Hooks) -> Int32 {
        var holder: LeaseHolder?
        defer { try? holder?.lease.release() }
        do {
            if let ha = config.ha {
                guard let won = try waitForLease(ha, hooks: hooks) else { return 0 }
                holder = won
            }
            return try replicate(hooks, holder: holder)
        } catch let error as RedisError where error.code == .fenced {
            return refusedByFence(error, hooks: hooks)
        } catch {
            metrics.error(.startup)
            logger.error("sluice run stopped", ["error": "\(error)"])
            hooks.stopping("failed: \(error)")
            return error is StartupRefusal ? 3 : 1
        }
    }

    private func replicate(_ hooks: Hooks, holder: LeaseHolder?) throws -> Int32 {
        guard let sourceConfig = config.source else { throw DaemonError("the configuration has no [source] section") }
        let endpoint = MySQLEndpoint(config: sourceConfig)
        let settings = try ServerSettings.read(from: MySQLConnection(endpoint))
        let checks = StartupChecks(
            settings: settings, checks: sourceConfig.checks, hasMappings: !config.mappings.isEmpty)
        for line in checks.acceptedText { logger.warning(line) }
        guard checks.passed else { throw StartupRefusal(checks.refusalText) }
        let tables = config.mappings.map { TableName($0.database, $0.table) }
        let prerequisites = try prerequisites(
            endpoint: endpoint, settings: settings, source: sourceConfig, tables: tables)
        for line in prerequisites.warnings { logger.warning(line) }
        if !prerequisites.refusals.isEmpty {
            throw StartupRefusal("refusing to start: " + prerequisites.refusals.joined(separator: "; "))
        }

        let clusterName = config.redis(named: "primary") != nil ? "primary" : (config.redis.first?.name ?? "primary")
        let sinks = try DaemonSinks.make(config: config, cluster: clusterName, logger: logger, metrics: sinkMetrics)
        let redis = sinks.redis
        try fence(redis, sinks: sinks.all, holder: holder)
        let stored = try sinks.checkpoints()
        let resume = SinkCheckpoint.resumePoint(stored)
        let plan = try storeSinkStarts(
            sinks.all, stored: stored, resume: resume,
            plan: try resumePlan(sourceConfig, resume: resume, endpoint: endpoint, server: settings.sourceIdentity),
            source: sourceConfig, endpoint: endpoint, server: settings.sourceIdentity)
        let start = plan.start
        logger.info(
            "sluice run starting",
            [
                "start": "\(start)", "resume": "\(resume.map { "\($0.position)" } ?? "none")",
                "redis": .string(clusterName),
                "kafka": .boolean(sinks.kafkaEnabled), "resume_by": .string(plan.basis.rawValue),
                "checkpoint_server": .string(resume?.source.map { "\($0)" } ?? "unnamed"),
                "source_server": .string("\(settings.sourceIdentity)"),
            ])
        if redis.settings.waitReplicas == 0, redis.applier.client.isCluster {
            logger.warning(
                "wait_replicas = 0 on [redis.\(clusterName)]: after a master failover the daemon replays only from its last checkpoint, so writes the old master acknowledged but its replica lacked stay lost until the rows change again (set wait_replicas >= 1; docs/daemon.md)"
            )
        }
        let makeSource = { (start: SourceStart) in
            BinlogSource(
                SourceConfiguration(
                    endpoint: endpoint,
                    replica: ReplicaOptions(
                        serverID: sourceConfig.serverID, heartbeatSeconds: Double(sourceConfig.heartbeatMS) / 1000,
                        reportHost: "sluice", follow: true),
                    start: start,
                    backoff: Backoff(
                        initial: Double(sourceConfig.reconnectMinMS) / 1000,
                        maximum: Double(sourceConfig.reconnectMaxMS) / 1000),
                    spillRows: sourceConfig.xaSpillRows,
                    spillDirectory: sourceConfig.xaSpillDirectory ?? NSTemporaryDirectory()),
                clock: self.clock)
        }
        let pipeline = SinkPipeline(
            sinks: sinks.all, filter: try TableFilter(config: config.filter), start: resume,
            settings: SinkPipeline.Settings(
                queueCapacity: config.daemon.queueCapacity,
                watermarkIntervalSeconds: !sinks.kafkaEnabled || config.kafka.watermarkIntervalMS == 0
                    ? nil : Double(config.kafka.watermarkIntervalMS) / 1000),
            metrics: sinkMetrics, logger: logger)
        lastCommitted = resume
        return try loop(
            source: makeSource(start), restart: makeSource, origin: start, pipeline: pipeline, hooks: hooks,
            waitReplicas: redis.settings.waitReplicas, holder: holder)
    }

    /// The source prerequisites, asked again while the only refusal is a replica registered with
    /// sluice's server_id: right after a restart (systemd, a standby taking over) the server still
    /// lists the previous connection until its dump thread next writes to it, a heartbeat at most
    /// `heartbeat_ms` later. Three heartbeats (at least 5 s) are given for it to go; a registration
    /// still there then is another instance, and the start is refused. Under `[ha]` the lease is
    /// the guard instead: the registration is a previous holder's, and only a warning.
    private func prerequisites(
        endpoint: MySQLEndpoint, settings: ServerSettings, source: SourceConfig, tables: [TableName]
    ) throws -> (refusals: [String], warnings: [String]) {
        let clock = SystemClock()
        let waitSeconds = max(5, 3 * Double(source.heartbeatMS) / 1000)
        let deadline = Deadline(in: waitSeconds, clock: clock)
        var waiting = RetryReport("server_id \(source.serverID)", repeatSeconds: .infinity)
        var failure: Error?
        var loop = Retrying(pauseSeconds: 0.5, clock: clock)
        let outcome = loop.run(
            until: { false },
            { () throws -> (refusals: [String], warnings: [String]) in
                let report = try SourcePrerequisites.run(
                    on: MySQLConnection(endpoint), settings: settings, serverID: source.serverID, tables: tables)
                if let decided = prerequisitesDecided(report, source: source) { return decided }
                guard !deadline.hasPassed else { return StartupChecks.beyondChecks(report) }
                throw PreviousConnection()
            },
            onFailure: { error in
                guard error is PreviousConnection else {
                    failure = error
                    return .end
                }
                if waiting.due("registered", now: clock.monotonicNow()) {
                    logger.warning(
                        "server_id \(source.serverID) is registered on the source (SHOW SLAVE HOSTS); waiting for a previous connection of this daemon to close",
                        ["wait_seconds": .init(Int(deadline.secondsLeft.rounded(.up)))])
                }
                return .retry
            })
        guard case .done(let decided) = outcome else { throw failure ?? DaemonError("source prerequisites not read") }
        return decided
    }

    /// A registration with sluice's server_id that may be a previous connection of this daemon
    /// still closing: the prerequisites are read again after a pause.
    private struct PreviousConnection: Error {}

    /// The prerequisites' verdict, or nil while the only refusal is sluice's server_id registered
    /// on the source (see `prerequisites`): under `[ha]` that is a previous holder's, only a warning.
    private func prerequisitesDecided(
        _ report: PrerequisiteReport, source: SourceConfig
    ) -> (refusals: [String], warnings: [String])? {
        let registered = report.errors.contains { $0.code == .serverIDInUse }
        let otherRefusals = StartupChecks.beyondChecks(
            PrerequisiteReport(errors: report.errors.filter { $0.code != .serverIDInUse })
        ).refusals
        guard registered, otherRefusals.isEmpty else { return StartupChecks.beyondChecks(report) }
        guard config.ha != nil else { return nil }
        // Under [ha] the lease decides who reads (both instances share the server_id),
        // and the server drops the older connection when this one registers.
        let checks = StartupChecks.beyondChecks(PrerequisiteReport(errors: [], warnings: report.warnings))
        let note =
            "server_id \(source.serverID) is registered on the source by a previous holder's connection; under [ha] the server drops it when this instance registers"
        return ([], checks.warnings + [note])
    }

    /// `restart` makes a source reading from a new start (after a rewind); `origin` is where the
    /// first one started, the rewind target while no checkpoint was confirmed. The source is read
    /// on its own thread (`SourcePump`): nothing here waits longer than a quarter second, so the
    /// status, metrics, readiness and the silence warnings keep going while the source hangs.
    private func loop(
        source first: BinlogSource, restart: (SourceStart) -> BinlogSource, origin start: SourceStart,
        pipeline: SinkPipeline, hooks: Hooks, waitReplicas: Int, holder: LeaseHolder?
    ) throws -> Int32 {
        var pump = SourcePump(first, clock: clock)
        defer { pump.stop() }
        var reading = SourceReading()
        var origin = start
        var machine = ShutdownMachine(timeoutSeconds: Double(config.daemon.shutdownTimeoutMS) / 1000)
        var ready = false
        var nextStatus = clock.monotonicNow()
        var watches = DependencyWatches(config: config)
        while true {
            let now = clock.monotonicNow()
            if let signal = hooks.stopSignal() {
                if case .stopReading = machine.signal(signal, now: now.seconds) {
                    hooks.stopping("\(signal): draining")
                    logger.info(
                        "stop requested, draining", ["signal": .string(signal), "in_flight": .init(pipeline.inFlight)])
                }
                break
            }
            if hooks.takeReload() { reload(hooks) }
            if let reason = holder?.check(now: now.seconds) {
                return stepDown(reason, pipeline: pipeline, hooks: hooks)
            }
            if let error = pipeline.error {
                return halt(error, pipeline: pipeline, hooks: hooks)
            }
            if case .current = origin, let at = reading.checkpoint(pump) { origin = .position(at.binlog) }
            if let rewind = pipeline.takeRewind() {
                pump = try replay(
                    rewind, stopping: pump, reading: &reading, from: restart, origin: origin, pipeline: pipeline,
                    waitReplicas: waitReplicas)
            }
            // While a sink holds (its queue full), the source is not taken from and the status
            // and metrics keep going: the lag grows where it can be seen.
            let turn = clock.wallDate(at: now.advanced(by: 0.25))
            if pipeline.waitForRoom(until: turn) {
                if let taken = pump.take(until: turn) {
                    reading.took(taken)
                    let serverID = pump.state.serverID
                    if let code = handle(taken, serverID: serverID, pipeline: pipeline, hooks: hooks) {
                        return code
                    }
                } else if let error = pump.error {
                    metrics.error(.source)
                    return halt(error, pipeline: pipeline, hooks: hooks)
                }
            }
            let state = pump.state
            if let current = reading.caughtUp(state) { pipeline.sourceCaughtUp(serverSeconds: current) }
            if !ready, state.serverID != nil {
                ready = true
                let at = reading.position(pump)
                hooks.ready("replicating from \(at.map { "\($0.binlog)" } ?? "the start")")
                logger.info("replicating", ["binlog.pos": "\(at.map { "\($0.binlog)" } ?? "?")"])
            }
            if now >= nextStatus {
                nextStatus = now.advanced(by: 1)
                reportStatus(state, pipeline: pipeline, watches: &watches, hooks: hooks, now: now)
            }
        }
        return finish(pipeline: pipeline, pump: pump, reading: reading, machine: machine, waitReplicas: waitReplicas)
    }

    /// Restarts reading after `rewind`: stops the pump `old`, and returns one reading from the
    /// rewind target (resolved against the source server), or from `origin` when nothing was confirmed.
    private func replay(
        _ rewind: SinkPipeline.Rewind, stopping old: SourcePump, reading: inout SourceReading,
        from restart: (SourceStart) -> BinlogSource, origin: SourceStart, pipeline: SinkPipeline, waitReplicas: Int
    ) throws -> SourcePump {
        let readAt = reading.position(old).map { "\($0.binlog)" } ?? "none"
        let server = old.state.sourceIdentity
        old.stop()
        let target = try rewind.target.map { t throws(DaemonError) in
            try server.map { s throws(DaemonError) in try ResumePlan(resume: t, server: s).start }
                ?? .position(t.position)
        }
        let pump = SourcePump(restart(target ?? origin), clock: clock)
        reading = SourceReading()
        ordinal = 0
        lastCommitted = pipeline.committed
        logRewind(rewind, readAt: readAt, waitReplicas: waitReplicas)
        return pump
    }

    /// Once a second: lag and committed checkpoint to the metrics, the sinks' held times, the
    /// dependency watches, readiness and the status line.
    private func reportStatus(
        _ state: SourcePump.State, pipeline: SinkPipeline, watches: inout DependencyWatches, hooks: Hooks,
        now: MonotonicInstant
    ) {
        let lag = SourceLag(
            secondsBehind: state.lagTracker.secondsBehind(now: clock.wallNow().timeIntervalSince1970),
            bytesBehind: state.bytesBehind)
        lastCommitted = pipeline.committed
        metrics.observe(lag: lag, committed: lastCommitted)
        metrics.observe(events: state.eventCounts)
        sinkMetrics.updateAges(source: lag)
        let held = pipeline.blockedSeconds()
        sinkMetrics.blocked(held)
        watch(&watches, source: state, sinksHeld: held, now: now)
        hooks.lag(DaemonReadiness.lag(source: lag.secondsBehind, sinksHeld: held.map(\.seconds)))
        hooks.status(statusLine(lag: lag, pipeline: pipeline))
    }

    /// After a stop signal: drains the pipeline (within the shutdown timeout), logs a rewind
    /// decided meanwhile, and returns the exit code with one closing line.
    private func finish(
        pipeline: SinkPipeline, pump: SourcePump, reading: SourceReading, machine: ShutdownMachine, waitReplicas: Int
    ) -> Int32 {
        var machine = machine
        _ = pipeline.drain(timeoutSeconds: machine.timeoutSeconds)
        if let rewind = pipeline.takeRewind() {
            // Decided while draining: the stored checkpoint is rewound, the next start replays.
            let readAt = reading.position(pump).map { "\($0.binlog)" } ?? "none"
            logRewind(rewind, readAt: readAt, waitReplicas: waitReplicas)
        }
        let last = pump.state
        lastCommitted = pipeline.committed
        metrics.observe(
            lag: SourceLag(
                secondsBehind: last.lagTracker.secondsBehind(now: clock.wallNow().timeIntervalSince1970),
                bytesBehind: last.bytesBehind),
            committed: lastCommitted)
        metrics.observe(events: last.eventCounts)
        // Applied and checkpointed by every sink is drained; transactions only waiting for the
        // Redis replicas' WAIT (a replica down or still syncing) are named, not waited for.
        let unapplied = pipeline.unapplied
        let unconfirmed = pipeline.inFlight - unapplied
        let action = machine.progress(inFlight: unapplied, now: clock.monotonicNow().seconds)
        let code: Int32
        let reason: String
        if case .exit(let c, let r) = action {
            code = c
            reason = r
        } else {
            code = 1
            reason = "\(unapplied) transaction(s) unacknowledged at the shutdown deadline"
        }
        var fields: [String: LogValue] = [
            "reason": .string(reason), "checkpoint": "\(lastCommitted.map { "\($0.position)" } ?? "none")",
        ]
        if unconfirmed > 0 {
            fields["replicated"] = .string(pipeline.replicated.map { "\($0.position)" } ?? "none")
            fields["unconfirmed_by_replicas"] = .init(unconfirmed)
        }
        logger.log(code == 0 ? .info : .error, "sluice run stopped", fields)
        return code
    }

    /// The one line a rewind leaves: why, where reading was, the checkpoint before, where it
    /// replays from, what in-flight work was dropped, and whether WAIT protected it.
    private func logRewind(_ rewind: SinkPipeline.Rewind, readAt: String, waitReplicas: Int) {
        let protection =
            waitReplicas > 0
            ? "wait_replicas = \(waitReplicas): every write before the target was confirmed by replicas"
            : "wait_replicas = 0: the target is the plain checkpoint; writes before it that the old master acknowledged but its replica lacked stay lost until the rows change again"
        logger.warning(
            "Redis failover: rewinding the source to the checkpoint the replicas confirmed and replaying",
            [
                "reason": .string(rewind.reason), "read_position": .string(readAt),
                "checkpoint_before": .string(rewind.committedBefore.map { "\($0.position)" } ?? "none"),
                "rewind_to": .string(rewind.target.map { "\($0.position)" } ?? "the start"),
                "dropped_in_flight": .init(rewind.dropped), "protection": .string(protection),
            ])
    }

    /// Counts, logs and submits one transaction (or chunk); an exit code when the pipeline failed.
    private func handle(
        _ taken: consuming SourcePump.Item, serverID: UInt32?, pipeline: SinkPipeline, hooks: Hooks
    ) -> Int32? {
        let source = taken.source
        let t = (consume taken).transaction
        if t.chunk == 0 { ordinal = 0 }
        let firstOrdinal = ordinal
        ordinal += t.changes.count
        metrics.count(t)
        if let statement = t.statement {
            let text = SQLCredentialMask.mask(statement)
            logger.info("statement event", ["binlog.pos": "\(t.start)", "statement": .string(text)])
        }
        // The last use of `t`: its rows move into the item without a copy.
        let item = t.pipelineTransaction(serverID: serverID ?? 0, firstOrdinal: firstOrdinal, source: source)
        if !pipeline.submit(item), let error = pipeline.error { return halt(error, pipeline: pipeline, hooks: hooks) }
        return nil
    }

    /// Stops on an error retrying cannot fix: exit 1 (the service manager restarts), or 3 when
    /// only the operator can choose the way out (the source moved to a server whose binlog lacks
    /// the transactions already read, `SourceError.Code.pastTheBinlog`; the restart would refuse
    /// the same way).
    private func halt(_ error: Error, pipeline: SinkPipeline, hooks: Hooks) -> Int32 {
        _ = pipeline.drain(timeoutSeconds: 0)
        lastCommitted = pipeline.committed
        if error is MappingError { metrics.error(.mapping) }
        let at = lastCommitted.map { "\($0.position)" } ?? "none"
        hooks.stopping("halted: \(error)")
        logger.error(
            "sluice run halted; the checkpoint stays before the failing transaction",
            ["error": "\(error)", "checkpoint": .string(at)])
        return (error as? SourceError)?.code == .pastTheBinlog ? 3 : 1
    }

    private func reload(_ hooks: Hooks) {
        do {
            let plan = ReloadPlan(running: config, file: try hooks.reloadConfig())
            if let level = plan.logLevel { logger = makeLogger(level) }
            logger.notice(plan.summary)
        } catch {
            logger.error("configuration reload failed; nothing changed", ["error": "\(error)"])
        }
    }

    private func statusLine(lag: SourceLag, pipeline: SinkPipeline) -> String {
        let at = pipeline.committed.map { "\($0.position)" } ?? "none"
        let held = pipeline.blockedSeconds().filter { $0.seconds >= 1 }.map { "\($0.label) held \(Int($0.seconds)) s" }
        let seconds = SourceLag.text(seconds: lag.secondsBehind)
        let shown = "checkpoint \(at), lag \(seconds), \(pipeline.inFlight) in flight"
        return shown + held.map { ", " + $0 }.joined()
    }
}

/// A reason `sluice run` cannot start.
package struct DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
