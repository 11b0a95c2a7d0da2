import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Sends WATCHDOG=1 at half the interval systemd asked for (`$WATCHDOG_USEC`, from WatchdogSec=),
/// but only while `isHealthy` says the daemon makes progress: a stuck daemon stops pinging and
/// systemd restarts it. Not created when the watchdog is off for this process.
package final class WatchdogPinger: @unchecked Sendable {
    /// Time between pings: half of `$WATCHDOG_USEC`.
    package let period: Duration
    private let notifier: ServiceNotifier
    private let logger: Logger
    private let isHealthy: @Sendable () -> Bool
    private let queue = DispatchQueue(label: "sluice.watchdog")
    private let lock = NSLock()
    private var timer: DispatchSourceTimer?
    private var lastHealthy = true

    /// The watchdog interval systemd set for this process, or nil when there is none:
    /// `$WATCHDOG_USEC` unset, zero or not a number, or `$WATCHDOG_PID` naming another process.
    package static func interval(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }

    /// Nil when the watchdog is off (see `interval`) or there is no notification socket.
    package init?(
        notifier: ServiceNotifier, environment: [String: String], logger: Logger,
        isHealthy: @escaping @Sendable () -> Bool
    ) {
        guard notifier.isEnabled, let interval = Self.interval(environment: environment) else { return nil }
        period = interval / 2
        self.notifier = notifier
        self.logger = logger
        self.isHealthy = isHealthy
    }

    deinit { timer?.cancel() }

    /// Pings now (when healthy) and then every `period`. Idempotent.
    package func start() {
        lock.lock()
        defer { lock.unlock() }
        guard timer == nil else { return }
        let source = DispatchSource.makeTimerSource(queue: queue)
        let nanoseconds = period.components.seconds * 1_000_000_000 + period.components.attoseconds / 1_000_000_000
        source.schedule(
            deadline: .now(), repeating: .nanoseconds(Int(clamping: nanoseconds)),
            leeway: .nanoseconds(Int(clamping: nanoseconds / 20)))
        source.setEventHandler { [weak self] in self?.tick() }
        timer = source
        source.resume()
    }

    /// No more pings (say STOPPING=1 before, so systemd doesn't count the silence). Idempotent.
    package func stop() {
        lock.lock()
        let source = timer
        timer = nil
        lock.unlock()
        source?.cancel()
    }

    private func tick() {
        let healthy = isHealthy()
        if healthy != lastHealthy {
            lastHealthy = healthy
            if healthy {
                logger.log(.notice, "watchdog: healthy again, pinging systemd")
            } else {
                logger.log(
                    .warning,
                    "watchdog: not healthy, withholding pings (systemd restarts the service when the interval passes)")
            }
        }
        guard healthy else { return }
        do {
            try notifier.send(.watchdog)
        } catch {
            logger.log(.warning, "watchdog: ping failed", ["error": "\(error)"])
        }
    }
}
