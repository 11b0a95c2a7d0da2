import Dispatch
import Foundation
import Ops
import Replication

enum RunCommand {
    static let command = Command(
        "run",
        abstract: "Replicate the binlog to the primary Redis cluster and Kafka (the daemon)",
        discussion: """
            Startup checks ([source.checks]), resume from the oldest sink checkpoint (else
            [source] start), then binlog -> [filter] -> [[mapping]] -> primary Redis and Kafka,
            the checkpoint advancing only when every enabled sink acknowledged. Serves [metrics];
            talks to systemd (Type=notify, watchdog). SIGTERM/SIGINT: stop reading, drain,
            checkpoint, exit 0 within [daemon] shutdown_timeout_ms. SIGHUP: reload the log level,
            name what needs a restart. docs/daemon.md.
            """,
        flags: [.config]
    ) { invocation in
        let config = try invocation.loadConfig()
        if config.kafka.enabled {
            try Libraries.requireTestedKafka()
            try Libraries.validateKafka(config, producer: true)
        }
        let path = invocation.arguments.value(Flag.config.name) ?? Flag.config.defaultValue ?? ""
        let format = config.log.format
        let logger = Logger.standardError(level: config.log.level, format: format)
        let created = try Libraries.createKafkaTopics(config)
        if !created.isEmpty {
            logger.notice("created Kafka topics", ["topics": .string(created.joined(separator: ","))])
        }
        let stop = StopSignals()
        let hangup = HangupSignal()
        let registry = MetricsRegistry()
        let state = DaemonReadiness()
        let runtime = try ServiceRuntime(
            metrics: config.metrics, environment: invocation.environment, registry: registry, logger: logger,
            readiness: { state.readiness }, isHealthy: { state.healthy() })
        defer { runtime.shutdown() }
        let daemon = Daemon(config: config, registry: registry) { Logger.standardError(level: $0, format: format) }
        let code = daemon.run(
            Daemon.Hooks(
                ready: { runtime.ready(status: $0) },
                status: { runtime.status($0) },
                lag: { state.update(lag: $0) },
                stopping: { reason in
                    state.stop(reason)
                    runtime.stopping(status: reason)
                },
                stopSignal: { stop.signalName },
                takeReload: { hangup.take() },
                reloadConfig: {
                    switch SluiceConfig.load(path: path, environment: invocation.environment) {
                    case .success(let loaded): return loaded.config
                    case .failure(let errors): throw errors
                    }
                },
                standby: { text in
                    state.standby(text)
                    runtime.status(text)
                }))
        return code == 0 ? .success : code == 3 ? .lagging : .failure
    }
}

/// SIGHUP as a flag the daemon's loop takes.
final class HangupSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sluice.sighup"))
        source.setEventHandler { [weak self] in self?.set() }
        source.resume()
    }

    deinit { source.cancel() }

    private func set() {
        lock.lock()
        pending = true
        lock.unlock()
    }

    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let was = pending
        pending = false
        return was
    }
}
