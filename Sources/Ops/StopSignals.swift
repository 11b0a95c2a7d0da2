import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into a flag a long-running loop polls (`isStopping`), instead of the
/// default of dying mid-write. The signals are ignored at the process level and delivered through
/// dispatch sources; `signalName` tells which one came first.
package final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var received: String?
    private var sources: [DispatchSourceSignal] = []

    package init(queue: DispatchQueue = DispatchQueue(label: "sluice.signals")) {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.deliver(name) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// The first stop signal received, nil while none has come.
    package var signalName: String? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    package var isStopping: Bool { signalName != nil }

    private func deliver(_ name: String) {
        lock.lock()
        if received == nil { received = name }
        lock.unlock()
    }
}
