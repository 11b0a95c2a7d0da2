import Foundation
import TestHelpers
import XCTest

@testable import Ledger

#if canImport(Glibc)
    import Glibc
#endif

/// The journal on disk: durable appends from many threads, reopening, torn tails, rotation,
/// the single-coordinator lock, and fail-stop on a full disk.
final class JournalTests: JournalTestCase {
    func testConcurrentDurableAppendsShareFsyncsAndAllComeBack() throws {
        let journal = try Journal(directory: folder)
        let threads = 8
        let perThread = 40
        let sequences = LockedList<String>()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                if let s = try? journal.append(Self.decision(t * 1000 + i), durable: true) {
                    sequences.append("\(s)")
                }
            }
        }
        let stats = journal.currentStats
        XCTAssertEqual(sequences.count, threads * perThread)
        XCTAssertEqual(stats.records, UInt64(threads * perThread))
        XCTAssertEqual(stats.syncedRecords, stats.records, "every durable record was covered by an fsync")
        XCTAssertLessThanOrEqual(stats.fsyncs, stats.records)
        let reopened = try Journal.read(directory: folder)
        XCTAssertEqual(reopened.records.map(\.sequence), Array(1...UInt64(threads * perThread)))
        XCTAssertNil(reopened.tornTail)
    }

    func testATornTailIsTruncatedOnOpenAndAppendingContinues() throws {
        do {
            let journal = try Journal(directory: folder)
            for n in 1...3 { try journal.append(Self.decision(n), durable: true) }
        }
        let segment = folder + "/" + Journal.segmentName(first: 1)
        let intact = try Data(contentsOf: URL(fileURLWithPath: segment)).count
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data(JournalFrame.encode(JournalRecord(sequence: 4, body: Self.decision(4))).prefix(11)))
        handle.closeFile()

        let journal = try Journal(directory: folder)
        XCTAssertEqual(journal.tornTail, .init(segment: Journal.segmentName(first: 1), offset: intact, discarded: 11))
        XCTAssertEqual(journal.recovered.count, 3)
        XCTAssertEqual(try journal.append(Self.decision(5), durable: true), 4)
        XCTAssertEqual(try Journal.read(directory: folder).records.map(\.sequence), [1, 2, 3, 4])
    }

    func testRotationBySizeKeepsOneGaplessSequence() throws {
        let journal = try Journal(directory: folder, segmentBytes: 4096)
        for n in 1...200 { try journal.append(Self.decision(n), durable: n % 10 == 0) }
        let names = try Journal.segmentNames(folder)
        XCTAssertGreaterThan(names.count, 2)
        XCTAssertEqual(names.first, Journal.segmentName(first: 1))
        for name in names {
            let size = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int ?? 0
            XCTAssertLessThanOrEqual(size, 4096, name)
        }
        XCTAssertEqual(try Journal.read(directory: folder).records.map(\.sequence), Array(1...200))
    }

    func testASecondCoordinatorIsRefused() throws {
        do {
            let first = try Journal(directory: folder)
            XCTAssertThrowsError(try Journal(directory: folder)) { error in
                XCTAssertEqual((error as? JournalError)?.code, .locked)
            }
            withExtendedLifetime(first) {}
        }
        XCTAssertNoThrow(try Journal(directory: folder), "the lock goes with the first journal")
    }

    /// A small tmpfs that fills up: the failing append throws, every later one is refused
    /// (fail-stop, no retry), the failure hook runs once, and everything acknowledged before is
    /// still there when reopened.
    func testAFullDiskStopsTheJournalAndKeepsWhatWasAcknowledged() throws {
        let mountPoint = folder + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=32k", "tmpfs", mountPoint]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (needs root)") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint]
            try? umount.run()
            umount.waitUntilExit()
        }
        let failures = LockedList<String>()
        var acknowledged: [UInt64] = []
        var firstError: JournalError?
        do {
            let journal = try Journal(directory: mountPoint + "/j") { failures.append($0.description) }
            for n in 1...10_000 {
                do {
                    acknowledged.append(try journal.append(Self.decision(n), durable: true))
                } catch {
                    firstError = error
                    break
                }
            }
            XCTAssertEqual(firstError?.code, .io)
            XCTAssertTrue(firstError?.message.contains("No space left") == true, "\(String(describing: firstError))")
            XCTAssertThrowsError(try journal.append(Self.decision(0), durable: true)) { error in
                XCTAssertEqual((error as? JournalError)?.code, .stopped)
            }
            XCTAssertEqual(failures.count, 1)
        }
        XCTAssertGreaterThan(acknowledged.count, 10)
        let reread = try Journal.read(directory: mountPoint + "/j")
        XCTAssertEqual(Array(reread.records.map(\.sequence).prefix(acknowledged.count)), acknowledged)
    }
}
