import XCTest

@testable import Ledger

/// Framing and crash-tolerant reading: a torn tail is found and cut, damage in the middle throws.
final class JournalScanTests: XCTestCase {
    private func record(_ sequence: UInt64) -> JournalRecord {
        JournalRecord(
            sequence: sequence,
            body: sequence % 3 == 0
                ? .completed(transferID: "ledger.\(sequence)")
                : .decision(
                    JournalDecision(
                        transferID: "ledger.\(sequence)", idempotencyKey: "key-\(sequence)", from: Int64(sequence),
                        to: -2, amountMinor: 12_345, shards: [0, 1])))
    }

    private func bytes(_ range: ClosedRange<UInt64>) -> [UInt8] { range.flatMap { JournalFrame.encode(record($0)) } }

    func testCRC32CKnownVector() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    }

    func testRecordsRoundTripAcrossSegments() throws {
        let result = try JournalScan.scan([
            .init(name: "a", bytes: bytes(1...4)), .init(name: "b", bytes: bytes(5...9)),
        ])
        XCTAssertEqual(result.records, (1...9).map(record))
        XCTAssertNil(result.tornTail)
        XCTAssertEqual(result.lastSegmentEnd, bytes(5...9).count)
    }

    /// Every cut of the last record (a crash during its write) is a torn tail at its start.
    func testEveryPrefixOfTheLastRecordIsATornTail() throws {
        let whole = bytes(1...3)
        let start = bytes(1...2).count
        for cut in start + 1..<whole.count {
            let result = try JournalScan.scan([.init(name: "s", bytes: Array(whole[..<cut]))])
            XCTAssertEqual(result.records, [record(1), record(2)], "cut at \(cut)")
            XCTAssertEqual(result.tornTail, .init(segment: "s", offset: start, discarded: cut - start), "cut at \(cut)")
            XCTAssertEqual(result.lastSegmentEnd, start)
        }
    }

    func testAGarbledLastRecordIsATornTail() throws {
        var damaged = bytes(1...3)
        damaged[damaged.count - 2] ^= 0xFF
        let result = try JournalScan.scan([.init(name: "s", bytes: damaged)])
        XCTAssertEqual(result.records.count, 2)
        XCTAssertEqual(result.tornTail?.offset, bytes(1...2).count)
    }

    func testDamageWithRecordsAfterItIsCorruptionNotATail() {
        var damaged = bytes(1...3)
        let second = bytes(1...1).count
        damaged[second + 12] ^= 0x01
        XCTAssertThrowsError(try JournalScan.scan([.init(name: "s", bytes: damaged)])) { error in
            let e = error as? JournalError
            XCTAssertEqual(e?.code, .corrupt)
            XCTAssertEqual(e?.offset, second)
            XCTAssertTrue(e?.message.contains("checksum mismatch") == true, "\(String(describing: e))")
        }
    }

    func testATornSealedSegmentIsCorruption() {
        let cut = Array(bytes(1...2).dropLast(3))
        XCTAssertThrowsError(
            try JournalScan.scan([.init(name: "a", bytes: cut), .init(name: "b", bytes: bytes(3...3))])
        ) { error in
            XCTAssertEqual((error as? JournalError)?.code, .corrupt)
            XCTAssertEqual((error as? JournalError)?.file, "a")
        }
    }

    func testASequenceGapIsCorruption() {
        let gap = bytes(1...2) + bytes(4...4)
        XCTAssertThrowsError(try JournalScan.scan([.init(name: "s", bytes: gap)])) { error in
            XCTAssertEqual((error as? JournalError)?.message, "sequence 4 where 3 was expected")
        }
    }

    func testAnImpossibleLengthInsideTheFileIsCorruption() {
        var damaged = bytes(1...2)
        damaged[0] = 0
        damaged[1] = 0
        damaged[2] = 0
        damaged[3] = 0
        XCTAssertThrowsError(try JournalScan.scan([.init(name: "s", bytes: damaged)])) { error in
            XCTAssertEqual((error as? JournalError)?.message, "frame length 0 is impossible")
        }
    }
}
