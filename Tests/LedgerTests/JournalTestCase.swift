import Foundation
import XCTest

@testable import Ledger

/// A journal test: a fresh temporary folder per test (`folder`), removed afterwards.
class JournalTestCase: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "sluice-journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The decision of transfer `n` (amount `n`).
    static func decision(_ n: Int) -> JournalRecord.Body {
        .decision(
            JournalDecision(
                transferID: "ledger.\(n)", idempotencyKey: "k\(n)", from: 1, to: 2, amountMinor: Int64(n), shards: [0]))
    }
}
