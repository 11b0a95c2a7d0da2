import RedisCluster
import XCTest

@testable import Replication

/// Guarantee 7's fence keys: one per hash slot, each hashing to its own slot (the writes an older
/// token is refused against a real cluster are in ReplicationLiveTests/FencingLiveTests.swift).
final class FencingTests: XCTestCase {
    func testEveryFenceKeyHashesToItsSlot() {
        for slot in 0..<HashSlot.count { XCTAssertEqual(HashSlot.slot(of: Fencing.key(forSlot: slot)), slot) }
    }
}
