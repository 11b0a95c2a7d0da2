import Foundation

/// Items gathered from other threads (log lines, producers made, sequences appended).
package final class LockedList<Item>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Item] = []

    package init() {}

    package func append(_ item: Item) { lock.withLock { stored.append(item) } }
    package var items: [Item] { lock.withLock { stored } }
    package var count: Int { lock.withLock { stored.count } }
}
