import Foundation

/// A first-in first-out queue between two pipeline stages holding at most `capacity` items:
/// `push` blocks while it is full, so a slow consumer slows the producer instead of growing
/// memory. `close()` wakes everyone: later pushes are refused, pops drain what is left then
/// return nil.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Appends `item`, waiting while the queue is full. Returns false (item dropped) when the
    /// queue is closed before there is room, or when `deadline` (if any) passes first.
    @discardableResult
    public func push(_ item: Element, deadline: Date? = nil) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= capacity {
            if !wait(until: deadline) { return false }
        }
        if closed { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Waits until the queue has room for one more item or is closed (true), or `deadline`
    /// passes first (false). With one producer, a `push` right after `true` does not wait.
    public func waitForRoom(deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= capacity {
            if !wait(until: deadline) { return closed || items.count - head < capacity }
        }
        return true
    }

    /// The oldest item, waiting for one (until `deadline`, if any); nil when the deadline passed or the
    /// queue is closed and empty.
    public func pop(deadline: Date? = nil) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed {
            if !wait(until: deadline) { return nil }
        }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
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
    public func removeAll() -> Int {
        condition.lock()
        defer { condition.unlock() }
        let dropped = items.count - head
        items.removeAll()
        head = 0
        condition.broadcast()
        return dropped
    }

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
