import Foundation

/// Strings collected from several threads.
package final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    package init() {}
    package func add(_ item: String) { lock.withLock { items.append(item) } }
    package var count: Int { lock.withLock { items.count } }
}
