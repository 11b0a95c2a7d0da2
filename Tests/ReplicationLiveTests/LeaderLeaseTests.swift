import Foundation
import RedisCluster
import XCTest

@testable import Replication

/// The `[ha]` lease against the real DR cluster of `RedisSinkTests` (a key of its own): one
/// holder at a time, a greater token for every new holder, renewal only by the holder, release
/// hands over at once, expiry after the TTL, and a restarted instance of the same name is a new
/// holder rather than the old one.
extension RedisSinkTests {
    func testTheLeaseHasOneHolderAndEveryNewHolderAGreaterToken() throws {
        let client = try RedisSink.make(config: try config(), cluster: "dr").applier.client
        func lease(_ instance: String) -> LeaderLease {
            LeaderLease(client: client, leaseKey: "lease-test", instance: instance, ttlMilliseconds: 1000)
        }
        let a = lease("a")
        let b = lease("b")
        guard case .held(let first) = try a.acquire() else { return XCTFail("a free lease is taken") }
        XCTAssertEqual(try b.acquire(), .heldByOther(instance: "a", token: first))
        XCTAssertEqual(try a.acquire(), .held(token: first), "the holder acquiring again renews")
        XCTAssertTrue(try a.renew())
        XCTAssertFalse(try b.renew(), "only the holder renews")

        try a.release()
        XCTAssertEqual(try b.acquire(), .held(token: first + 1), "a released lease is taken at once")
        XCTAssertFalse(try a.renew())
        XCTAssertEqual(try a.acquire(), .heldByOther(instance: "b", token: first + 1))

        // b stops renewing: a takes the lease once the TTL ran out.
        let taken: (Int64?) -> Bool = { $0 != nil }
        let took = repeatedly(timeout: 5, every: 0.05, until: taken) { () -> Int64? in
            if case .held(let token) = try? a.acquire() { return token }
            return nil
        }
        XCTAssertEqual(took, first + 2)
        XCTAssertFalse(try b.renew(), "an expired holder cannot renew")
        let holder = try LeaderLease.holder(client: client, leaseKey: "lease-test")
        XCTAssertEqual(holder?.instance, "a")
        XCTAssertEqual(holder?.token, first + 2)
        XCTAssertEqual(
            try lease("a").acquire(), .heldByOther(instance: "a", token: first + 2),
            "a restarted instance with the same name does not inherit the lease")
    }
}
