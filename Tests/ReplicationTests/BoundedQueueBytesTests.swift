import Binlog
import XCTest

@testable import Replication

/// The sink queues' byte bound: full once the queued items' cost reaches the limit (one item
/// over it still passes alone), room again as items leave; and what a transaction is counted as.
final class BoundedQueueBytesTests: XCTestCase {
    func testTheQueueIsFullByBytesBeforeItIsFullByCount() {
        let q = BoundedQueue<[UInt8]>(capacity: 100, byteCapacity: 1_000) { $0.count }
        XCTAssertTrue(q.push([UInt8](repeating: 1, count: 600)))
        XCTAssertTrue(q.push([UInt8](repeating: 2, count: 600)), "below the limit: one more is taken")
        XCTAssertEqual(q.queuedBytes, 1_200)
        XCTAssertFalse(q.push([2], deadline: Date().addingTimeInterval(0.05)), "at the limit: the push times out")
        XCTAssertFalse(q.waitForRoom(deadline: Date().addingTimeInterval(0.05)))
        XCTAssertEqual(q.pop()?.count, 600)
        XCTAssertEqual(q.queuedBytes, 600)
        XCTAssertTrue(q.waitForRoom(deadline: Date().addingTimeInterval(0.05)), "below the limit again")
        XCTAssertEqual(q.pop()?.first, 2)
        XCTAssertTrue(q.push([UInt8](repeating: 3, count: 5_000)), "an empty queue takes an item over the limit")
        XCTAssertFalse(q.push([4], deadline: Date().addingTimeInterval(0.05)))
        XCTAssertEqual(q.removeAll(), 1)
        XCTAssertEqual(q.queuedBytes, 0)
        XCTAssertTrue(q.push([4]))
    }

    func testATransactionCountsItsRowsAndTheirValues() {
        func transaction(rows: Int, owner: String) -> PipelineTransaction {
            let change = RowChange(
                database: "payments", table: "accounts", kind: .insert, columns: ["id", "owner"],
                after: [.int(1), .string(owner)])
            return PipelineTransaction(
                changes: Array(repeating: change, count: rows),
                origin: .init(serverID: 1, gtid: nil, timestamp: 0, end: BinlogPosition(file: "bin.000001", offset: 4)),
                checkpoint: nil)
        }
        let small = transaction(rows: 1_000, owner: "o").estimatedBytes
        XCTAssertEqual(transaction(rows: 2_000, owner: "o").estimatedBytes - small, small - 64, "linear in rows")
        XCTAssertEqual(
            transaction(rows: 1_000, owner: String(repeating: "o", count: 101)).estimatedBytes - small, 100_000)
    }
}
