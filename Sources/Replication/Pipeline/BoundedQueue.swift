import Foundation

/// A first-in first-out queue between two pipeline stages holding at most `capacity` items and,
/// given a `byteCapacity`, items whose `cost` adds up to at most that plus one item (an item is
/// taken while the queue's bytes are below the limit, so one bigger than the limit still passes
/// alone): `push` blocks while it is full, so a slow consumer slows the producer instead of
/// growing memory, whatever the size of the items. `close()` wakes everyone: later pushes are
/// refused, pops drain what is left then return nil.
package final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    package let capacity: Int
    package let byteCapacity: Int?
    private let cost: (Element) -> Int
    private let condition = NSCondition()
    /// Popped slots hold nil until compacted, so a taken item is freed when its taker is done.
    private var items: [Element?] = []
    private var costs: [Int] = []
    private var head = 0
    private var bytes = 0
    private var closed = false

    package init(capacity: Int, byteCapacity: Int? = nil, cost: @escaping (Element) -> Int = { _ in 0 }) {
        self.capacity = max(capacity, 1)
        self.byteCapacity = byteCapacity.map { max($0, 1) }
        self.cost = cost
    }

    /// The queued items' cost.
    package var queuedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return bytes
    }

    /// Full by count, or by bytes (which an empty queue never is).
    private var isFull: Bool {
        items.count - head >= capacity || byteCapacity.map { bytes >= $0 } == true
    }

    package var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    package var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Appends `item`, waiting while the queue is full. Returns false (item dropped) when the
    /// queue is closed before there is room, or when `deadline` (if any) passes first.
    @discardableResult
    package func push(_ item: Element, deadline: Date? = nil) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && isFull {
            if !wait(until: deadline) { return false }
        }
        if closed { return false }
        let c = byteCapacity == nil ? 0 : max(cost(item), 0)
        items.append(item)
        costs.append(c)
        bytes += c
        condition.broadcast()
        return true
    }

    /// Waits until the queue has room for one more item or is closed (true), or `deadline`
    /// passes first (false). With one producer, a `push` right after `true` does not wait.
    package func waitForRoom(deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && isFull {
            if !wait(until: deadline) { return closed || !isFull }
        }
        return true
    }

    /// The oldest item, waiting for one (until `deadline`, if any); nil when the deadline passed or the
    /// queue is closed and empty.
    package func pop(deadline: Date? = nil) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed {
            if !wait(until: deadline) { return nil }
        }
        guard head < items.count else { return nil }
        let item = items[head]
        items[head] = nil
        bytes -= costs[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            costs.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Waits for a broadcast; false when `deadline` passed. (No deadline waits without one:
    /// `wait(until: .distantFuture)` overflows in corelibs Foundation.)
    private func wait(until deadline: Date?) -> Bool {
        guard let deadline else {
            condition.wait()
            return true
        }
        return condition.wait(until: deadline)
    }

    /// Drops every queued item (waking a producer waiting for room); returns how many.
    @discardableResult
    package func removeAll() -> Int {
        condition.lock()
        defer { condition.unlock() }
        let dropped = items.count - head
        items.removeAll()
        costs.removeAll()
        head = 0
        bytes = 0
        condition.broadcast()
        return dropped
    }

    package func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
