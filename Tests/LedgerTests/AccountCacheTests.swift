import XCTest

@testable import Ledger

/// `AccountCache` (L1 of the account read path), rule by rule, with the clock passed in.
final class AccountCacheTests: XCTestCase {
    private func account(_ id: Int64, version: UInt64, balance: Int64 = 100) -> AccountState {
        AccountState(
            id: id, owner: "o\(id)", currency: "EUR", balanceMinor: balance, version: version, status: "active")
    }

    private func cache(capacity: Int = 100, ttl: Double = 1, hot: Int = 0) -> AccountCache {
        AccountCache(.init(capacity: capacity, ttl: ttl, hotCount: hot))
    }

    func testAnEntryIsServedUntilItsTTLThenIsStaleWithItsVersionAsTheFloor() {
        var c = cache(ttl: 1)
        XCTAssertEqual(c.lookup(1, now: 0), .absent)
        c.offer(account(1, version: 3), now: 10)
        XCTAssertEqual(c.lookup(1, now: 10), .fresh(account(1, version: 3)))
        XCTAssertEqual(c.lookup(1, now: 10.999), .fresh(account(1, version: 3)))
        XCTAssertEqual(c.lookup(1, now: 11), .stale(floor: 3))
        XCTAssertEqual(c.lookup(1, now: 500), .stale(floor: 3))
    }

    func testANewerVersionReplacesAndRestartsTheClockAnOlderOneIsRefused() {
        var c = cache(ttl: 1)
        c.offer(account(1, version: 3, balance: 100), now: 0)
        XCTAssertTrue(c.offer(account(1, version: 4, balance: 90), now: 0.5))
        XCTAssertEqual(c.lookup(1, now: 1.2), .fresh(account(1, version: 4, balance: 90)))
        XCTAssertFalse(c.offer(account(1, version: 3, balance: 100), now: 1.3))
        XCTAssertEqual(c.lookup(1, now: 1.3), .fresh(account(1, version: 4, balance: 90)))
        // Expired, an older version from a lagging lower level is still refused: the floor holds.
        XCTAssertFalse(c.offer(account(1, version: 2), now: 9))
        XCTAssertEqual(c.lookup(1, now: 9), .stale(floor: 4))
    }

    func testTheSameVersionConfirmsTheEntry() {
        var c = cache(ttl: 1)
        c.offer(account(1, version: 3), now: 0)
        XCTAssertEqual(c.lookup(1, now: 1.5), .stale(floor: 3))
        XCTAssertTrue(c.offer(account(1, version: 3), now: 1.5))
        XCTAssertEqual(c.lookup(1, now: 2.4), .fresh(account(1, version: 3)))
    }

    func testTheSizeIsBoundedExpiredEntriesGoFirstThenTheLeastRecentlyUsed() {
        var c = cache(capacity: 16, ttl: 10)
        for id in Int64(1)...16 { c.offer(account(id, version: 1), now: id == 5 ? -20 : 0) }
        XCTAssertEqual(c.count, 16)
        // Use everything but 2 and 3, so those are the least recently used fresh entries; 5 expired.
        for id in Int64(1)...16 where id != 2 && id != 3 { _ = c.lookup(id, now: 1) }
        c.offer(account(17, version: 1), now: 1)
        XCTAssertEqual(c.count, 15, "an eighth of the capacity (2) evicted, then one stored")
        XCTAssertEqual(c.lookup(5, now: 1), .absent, "the expired entry goes first")
        XCTAssertEqual(c.lookup(2, now: 1), .absent, "then the least recently used")
        XCTAssertEqual(c.lookup(3, now: 1), .fresh(account(3, version: 1)))
        XCTAssertEqual(c.lookup(17, now: 1), .fresh(account(17, version: 1)))
        for id in Int64(100)...199 { c.offer(account(id, version: 1), now: 2) }
        XCTAssertLessThanOrEqual(c.count, 16)
    }

    func testCapacityZeroStoresNothing() {
        var c = cache(capacity: 0)
        XCTAssertFalse(c.offer(account(1, version: 1), now: 0))
        XCTAssertEqual(c.lookup(1, now: 0), .absent)
    }

    func testTheMostUsedEntriesAreDueForARefreshBeforeTheirTTLEnds() {
        var c = cache(capacity: 100, ttl: 1, hot: 2)
        for id in Int64(1)...4 { c.offer(account(id, version: 1), now: 0) }
        for _ in 0..<5 { _ = c.lookup(1, now: 0.1) }
        for _ in 0..<3 { _ = c.lookup(2, now: 0.1) }
        _ = c.lookup(3, now: 0.1)
        // Before half the TTL nothing is due; the pass halves the counts (1: 2, 2: 1, 3: 0).
        XCTAssertEqual(c.warmingPass(now: 0.4), [])
        // At half the TTL the two most used are due, most used first; 3 and 4 are not hot.
        XCTAssertEqual(c.warmingPass(now: 0.5), [1, 2])
        // A refreshed entry is not due again until half its new TTL has passed.
        c.offer(account(1, version: 1), now: 0.5)
        XCTAssertEqual(c.warmingPass(now: 0.6), [], "1 was just refreshed; 2 was not used since the last pass")
        _ = c.lookup(1, now: 0.7)
        _ = c.lookup(2, now: 0.7)
        XCTAssertEqual(c.warmingPass(now: 0.8), [2], "1 was confirmed at 0.5; 2 at 0")
        XCTAssertEqual(
            c.lookup(1, now: 1.2), .fresh(account(1, version: 1)), "the refresh kept 1 fresh past its first TTL")
    }

    func testNoHotCountNoWarming() {
        var c = cache(hot: 0)
        c.offer(account(1, version: 1), now: 0)
        _ = c.lookup(1, now: 0)
        XCTAssertEqual(c.warmingPass(now: 5), [])
    }
}
