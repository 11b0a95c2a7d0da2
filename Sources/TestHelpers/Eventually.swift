import Dispatch
import Foundation

/// Waiting for a condition with a deadline, for tests: instead of sleeping a fixed time and then
/// asserting (flaky on a busy machine, slow on an idle one) or a hand-made deadline loop.
///
/// `condition` is evaluated at once, then every `interval` seconds until it is true or `timeout`
/// seconds have passed on the monotonic clock; it is always evaluated at least once, and once
/// more at the deadline. An error it throws ends the wait and is rethrown.
///
///     XCTAssertTrue(eventually(timeout: 5) { server.activeConnections == 2 })
///     try waitUntil("the key expired", timeout: 5) { try exists(key) == false }
@discardableResult
package func eventually(timeout: Double, interval: Double = 0.01, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout) * 1e9)
    while true {
        if try condition() { return true }
        let now = DispatchTime.now().uptimeNanoseconds
        if now >= deadline { return false }
        Thread.sleep(forTimeInterval: min(interval, Double(deadline - now) / 1e9))
    }
}

/// As `eventually`, but a condition still false at the deadline throws `ConditionTimeout` naming
/// `what`: for a precondition the rest of a test depends on.
package func waitUntil(
    _ what: String, timeout: Double, interval: Double = 0.01, _ condition: () throws -> Bool
) throws {
    guard try eventually(timeout: timeout, interval: interval, condition) else {
        throw ConditionTimeout(what: what, timeout: timeout)
    }
}

/// A condition that was still false when its deadline passed.
package struct ConditionTimeout: Error, Equatable, CustomStringConvertible {
    package var what: String
    package var timeout: Double

    package var description: String { "not within \(timeout) s: \(what)" }
}
