import Foundation

/// Polling a service until it answers, with a deadline and an early exit when its process died.
package enum Readiness {
    /// Calls `probe` every `interval` seconds until it returns a value. Fails with the log tail when
    /// `process` ends first or `timeout` seconds pass; the last probe error is part of the message.
    package static func wait<T>(
        service: String, timeout: Double, logPath: String, process: ChildProcess?, interval: Double = 0.05,
        probe: () throws -> T?
    ) throws(SandboxError) -> T {
        let deadline = Date().addingTimeInterval(timeout)
        var lastProblem = "no answer yet"
        while true {
            do {
                if let value = try probe() { return value }
            } catch {
                lastProblem = "\(error)"
            }
            if let process, let status = process.exitStatusIfExited() {
                throw SandboxError(
                    .exitedEarly, service: service,
                    message: "process \(process.pid) exited (wait status \(status)) before it was ready",
                    logTail: LogFile.tail(logPath))
            }
            if Date() >= deadline {
                throw SandboxError(
                    .notReady, service: service,
                    message: "not ready within \(timeout) s; last: \(lastProblem)", logTail: LogFile.tail(logPath))
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
