import Foundation

/// The current process of a service that can be stopped and started again, shared between the
/// thread that started it and whoever stops it.
final class ProcessSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var process: ChildProcess?

    var current: ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return process
    }

    func set(_ child: ChildProcess) {
        lock.lock()
        process = child
        lock.unlock()
    }

    /// Removes and returns the process, so exactly one caller stops it.
    func take() -> ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        let taken = process
        process = nil
        return taken
    }
}
