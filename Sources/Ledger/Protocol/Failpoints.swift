import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Crash points of the transfer protocol, for the crash tests: `SLUICE_LEDGER_FAILPOINT=<name>`
/// kills the process with SIGKILL when a transfer reaches that point, after
/// `SLUICE_LEDGER_FAILPOINT_SKIP` (default 0) earlier hits of it were let through, so the crash
/// happens under load. Honoured only in debug (test) builds; a release build ignores both.
package struct Failpoints: Sendable {
    package enum Point: String, Sendable, CaseIterable {
        /// Every branch worked and the entry inserted; nothing prepared.
        case beforePrepare = "before-prepare"
        /// Every branch prepared; the decision not yet written.
        case afterPrepare = "after-prepare"
        /// The decision is durable; no shard committed.
        case afterDecision = "after-decision"
        /// The first shard committed, the next not (multi-shard transfers only).
        case betweenCommits = "between-commits"
        /// Every shard committed; nothing written through to Redis.
        case afterCommit = "after-commit"
    }

    private let armed: Point?
    private let counter: Counter?

    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var left: Int
        init(_ left: Int) { self.left = left }
    }

    package static let none = Failpoints(armed: nil, skip: 0)

    init(armed: Point?, skip: Int) {
        self.armed = armed
        counter = armed == nil ? nil : Counter(skip)
    }

    package static func fromEnvironment(_ environment: [String: String]) -> Failpoints {
        #if DEBUG
            guard let name = environment["SLUICE_LEDGER_FAILPOINT"], let point = Point(rawValue: name) else {
                return .none
            }
            return Failpoints(armed: point, skip: Int(environment["SLUICE_LEDGER_FAILPOINT_SKIP"] ?? "") ?? 0)
        #else
            return .none
        #endif
    }

    package func hit(_ point: Point) {
        guard point == armed, let counter else { return }
        let fire = counter.lock.withLock {
            counter.left -= 1
            return counter.left < 0
        }
        if fire { kill(getpid(), SIGKILL) }
    }
}
