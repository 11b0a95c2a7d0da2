import Foundation
import Ops
import TestSupport
import XCTest

@testable import Ledger

/// `Resolver.oldestSeconds` (`sluice_ledger_in_doubt_oldest_seconds`, the `SluiceLedgerInDoubt`
/// alert): it grows while a branch is pending and is 0 once the resolver ended it. Uses the live
/// service of `LedgerCacheTests`.
extension LedgerCacheTests {
    func testTheOldestInDoubtBranchsAgeGrowsUntilTheResolverEndsIt() throws {
        let (_, service, _) = try live()
        let resolver = Resolver()
        XCTAssertEqual(resolver.oldestSeconds, 0)
        // A rollback of a branch the shard does not know (XAER_NOTA): resolved at the first pass.
        let xid = XID(transferID: service.newTransferID(), shard: 0)
        resolver.add(.init(shard: 0, xid: xid, kind: .rollback, accounts: []))
        XCTAssertTrue(eventually(timeout: 5) { resolver.oldestSeconds >= 0.05 }, "\(resolver.oldestSeconds)")
        let earlier = resolver.oldestSeconds
        usleep(20_000)
        XCTAssertGreaterThan(resolver.oldestSeconds, earlier)
        XCTAssertEqual(resolver.pass(service, logger: Logger(level: .error, format: .text, sink: { _ in })), 0)
        XCTAssertEqual(resolver.oldestSeconds, 0)
        XCTAssertEqual(resolver.pending, [])
    }
}
