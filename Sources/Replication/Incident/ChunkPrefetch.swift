import Binlog
import Foundation
import MySQLSource

/// Reads the chunks of a snapshot's tables on a thread of its own while the caller applies the
/// previous ones: the source's read and Redis's apply overlap. At most `capacity` chunks wait
/// (memory stays bounded by the chunk size). The connection is the reader's alone until
/// `finish()` returned.
final class ChunkPrefetch: @unchecked Sendable {
    struct Chunk: Sendable {
        var table: String
        var changes: [RowChange]
    }

    private let queue: Handoff
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: Error?
    private var finished = false
    // The reader thread's own: the connection, and the tables' cursors.
    private let connection: MySQLConnection
    private var work: [TableChunks]
    private let position: BinlogPosition

    init(mysql: MySQLConnection, tables: [TableChunks], position: BinlogPosition, capacity: Int = 2) {
        queue = Handoff(capacity: capacity)
        connection = mysql
        work = tables
        self.position = position
        Thread { [self] in read() }.start()
    }

    private func read() {
        defer {
            queue.close()
            done.signal()
        }
        do {
            for i in work.indices {
                while true {
                    let changes = try work[i].next(on: connection, at: position)
                    if changes.isEmpty { break }
                    if !queue.push(Chunk(table: work[i].table.qualifiedTable, changes: changes)) { return }
                }
            }
        } catch {
            lock.lock()
            failure = error
            lock.unlock()
        }
    }

    /// The next chunk in table and key order; nil once every table is read; the reader's error.
    func next() throws -> Chunk? {
        if let chunk = queue.pop() { return chunk }
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reader (when the caller gives up early) and waits until it no longer uses the
    /// connection.
    func finish() {
        if finished { return }
        finished = true
        queue.close()
        done.wait()
    }
}

/// The chunks between the reader and the applier: at most `capacity`, and none kept once taken
/// (a chunk holds thousands of rows; `BoundedQueue` keeps taken items until it compacts).
private final class Handoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [ChunkPrefetch.Chunk] = []
    private var closed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Waits for room; false (chunk dropped) once closed.
    func push(_ chunk: ChunkPrefetch.Chunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && chunks.count >= capacity { condition.wait() }
        if closed { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// The oldest chunk, waiting for one; nil once closed and empty.
    func pop() -> ChunkPrefetch.Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !closed { condition.wait() }
        if chunks.isEmpty { return nil }
        condition.broadcast()
        return chunks.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
