import Foundation

/// The operating-system side of a long-running sluice command (`run`, `dr-apply`), started and
/// stopped together: the metrics endpoint from `[metrics]`, sd_notify messages to systemd, and the
/// watchdog pinger. The command supplies what only it knows: how far behind it is (`readiness`)
/// and whether its pipeline makes progress (`isHealthy`).
///
/// Notification failures are logged, never thrown: a daemon must not stop replicating because the
/// service manager's socket went away.
package final class ServiceRuntime: @unchecked Sendable {
    package let registry: MetricsRegistry
    package let notifier: ServiceNotifier
    private let server: HTTPServer?
    private let watchdog: WatchdogPinger?
    private let logger: Logger

    /// Declares every product metric, starts the endpoint (unless `[metrics] enabled = false`) and
    /// the watchdog pinger (when systemd asked for one).
    package init(
        metrics: MetricsConfig, environment: [String: String], registry: MetricsRegistry, logger: Logger,
        readiness: @escaping @Sendable () -> Readiness, isHealthy: @escaping @Sendable () -> Bool
    ) throws(HTTPServerError) {
        self.registry = registry
        self.logger = logger
        notifier = ServiceNotifier(environment: environment)
        do {
            try registry.declare(SluiceMetrics.all)
        } catch {
            logger.log(.error, "metrics: cannot declare the product metrics", ["error": "\(error)"])
        }
        ProcessMetrics.install(on: registry)
        server = try HTTPServer.metrics(config: metrics, registry: registry, logger: logger, readiness: readiness)
        if let server {
            logger.log(.info, "metrics endpoint listening", ["listen": "\(metrics.listen.host):\(server.port)"])
        }
        watchdog = WatchdogPinger(notifier: notifier, environment: environment, logger: logger, isHealthy: isHealthy)
        watchdog?.start()
    }

    /// The metrics endpoint's port, nil when it is disabled.
    package var metricsPort: Int? { server?.port }

    /// Start-up (or a reload) finished: READY=1 with a status line.
    package func ready(status: String) { notify([.ready, .status(status)]) }

    /// A new status line for `systemctl status` (e.g. the lag).
    package func status(_ text: String) { notify([.status(text)]) }

    /// A reload (SIGHUP) began; call `ready(status:)` when it is done.
    package func reloading(status: String) { notify([.reloadingNow(), .status(status)]) }

    /// Asks systemd for more time for the current start or stop (a long drain).
    package func extendTimeout(_ extra: Duration) {
        let microseconds = extra.components.seconds * 1_000_000 + extra.components.attoseconds / 1_000_000_000_000
        notify([.extendTimeout(microseconds: UInt64(clamping: max(0, microseconds)))])
    }

    /// Shutdown began: STOPPING=1 and no more watchdog pings. The endpoint keeps answering (so the
    /// last scrapes see the drain) until `shutdown`.
    package func stopping(status: String) {
        watchdog?.stop()
        notify([.stopping, .status(status)])
    }

    /// Stops the watchdog and the endpoint (waiting up to `timeout` for answers being written).
    package func shutdown(timeout: Duration = .seconds(2)) {
        watchdog?.stop()
        server?.stop(timeout: timeout)
    }

    private func notify(_ notifications: [ServiceNotification]) {
        do {
            try notifier.send(notifications)
        } catch {
            logger.log(.warning, "sd_notify failed", ["error": "\(error)"])
        }
    }
}
