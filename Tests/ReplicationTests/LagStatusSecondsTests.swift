import XCTest

@testable import Replication

/// `sluice status`'s lag in seconds for a sink row: what an operator reads next to the bytes.
final class LagStatusSecondsTests: XCTestCase {
    func testASinkAtTheEndIsZeroBehindIsSinceItsCommitAndAStoredStartIsUnknown() {
        XCTAssertEqual(LagStatus.sinkSeconds(bytes: 0, commitTime: 0, now: 1_000), 0)
        XCTAssertEqual(LagStatus.sinkSeconds(bytes: 0, commitTime: 900, now: 1_000), 0)
        XCTAssertEqual(LagStatus.sinkSeconds(bytes: 4_096, commitTime: 900, now: 1_000), 100)
        // A commit time ahead of this host's clock is no negative lag.
        XCTAssertEqual(LagStatus.sinkSeconds(bytes: 4_096, commitTime: 1_005, now: 1_000), 0)
        // A start stored before the sink's first batch has no commit time: not 1,000 s.
        XCTAssertNil(LagStatus.sinkSeconds(bytes: 4_096, commitTime: 0, now: 1_000))
    }
}
