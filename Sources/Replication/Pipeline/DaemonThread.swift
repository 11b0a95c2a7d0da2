import Foundation
import Ops

/// `sluice run` on a thread of this process (for `sluice bench e2e`): its latest status line, a
/// stop request, and its exit code. The daemon logs to standard error at the config's level.
package final class DaemonThread: @unchecked Sendable {
    private let lock = NSLock()
    private var statusText: String?
    private var stopReason: String?
    private var code: Int32?
    private let done = DispatchSemaphore(value: 0)

    package init(config: SluiceConfig, registry: MetricsRegistry = MetricsRegistry()) {
        let thread = Thread { [self] in
            let daemon = Daemon(config: config, registry: registry) {
                Logger.standardError(level: $0, format: config.log.format)
            }
            let exit = daemon.run(
                Daemon.Hooks(
                    status: { [self] text in locked { statusText = text } },
                    stopSignal: { [self] in locked { stopReason } },
                    reloadConfig: { config }))
            locked { code = exit }
            done.signal()
        }
        thread.name = "sluice-daemon"
        thread.start()
    }

    /// The daemon's last status line (checkpoint, lag, in flight), nil before the first.
    package var status: String? { locked { statusText } }
    /// The exit code once the daemon stopped by itself or after `stop`.
    package var exitCode: Int32? { locked { code } }

    /// Asks the daemon to drain and stop; returns its exit code, or nil when it did not stop
    /// within `timeoutSeconds`.
    package func stop(reason: String, timeoutSeconds: Double = 20) -> Int32? {
        locked { stopReason = stopReason ?? reason }
        if locked({ code }) == nil, done.wait(timeout: .now() + timeoutSeconds) == .success { done.signal() }
        return exitCode
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
