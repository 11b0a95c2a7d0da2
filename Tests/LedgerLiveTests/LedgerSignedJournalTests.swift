import Foundation
import Ops
import TestSupport
import XCTest

@testable import Ledger

/// End to end: the ledger with `journal_signing_key_file` seals its journal under concurrent
/// transfers, and the built `sluice journal verify` accepts it (0), finds a flipped byte (3),
/// and tells an unreadable folder (1) from a bad invocation (2).
final class LedgerSignedJournalTests: XCTestCase {
    func testTheBinaryVerifiesASignedJournalAndFindsTampering() throws {
        let files = try SigningKeyFiles(label: "signing")
        defer { files.remove() }
        let keys = files.folder
        let fixture = try LedgerFixture(
            label: "ledger-signed", ledgerExtra: "journal_signing_key_file = \"\(keys)/journal.pem\"")
        defer { fixture.close() }
        let created = LockedList<String>()
        do {
            let service = try fixture.service()
            DispatchQueue.concurrentPerform(iterations: 4) { thread in
                for i in 0..<10 {
                    let request = TransferRequest(
                        idempotencyKey: "s-\(thread)-\(i)", from: Int64(2 * thread + 1), to: Int64(2 * thread + 2),
                        amount: Amount(minorUnits: 100, scale: 2))
                    if case .created = service.transfer(request) { created.append("\(thread)-\(i)") }
                }
            }
            XCTAssertGreaterThan(service.journal.currentStats.seals, 0)
        }
        XCTAssertEqual(created.count, 40)
        let journal = fixture.sandbox.path + "/journal"
        func verify(_ arguments: [String]) throws -> (status: Int32, output: String) {
            guard FileManager.default.isExecutableFile(atPath: fixture.binary) else {
                throw XCTSkip("no built sluice binary at \(fixture.binary); run `swift build` first")
            }
            return try fixture.sandbox.run(
                service: "journal-verify", executable: fixture.binary, arguments: ["journal", "verify"] + arguments,
                workingDirectory: fixture.sandbox.path, logPath: fixture.sandbox.path + "/verify.log", timeout: 60)
        }
        var result = try verify([journal, "--public-key", keys + "/journal.pub.pem"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("intact: "), result.output)
        XCTAssertTrue(result.output.contains("verified with key"), result.output)

        let segment = journal + "/" + Journal.segmentName(first: 1)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[bytes.count / 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        result = try verify([journal, "--public-key", keys + "/journal.pub.pem"])
        XCTAssertEqual(result.status, 3, result.output)
        XCTAssertTrue(result.output.contains("TAMPERED: " + Journal.segmentName(first: 1) + " at byte "), result.output)

        XCTAssertEqual(try verify([journal, "--public-key", keys + "/absent.pem"]).status, 1)
        XCTAssertEqual(try verify([journal, "--public-key", keys + "/journal.pem"]).status, 2, "a private key given")
        XCTAssertEqual(try verify([]).status, 2)
    }
}
