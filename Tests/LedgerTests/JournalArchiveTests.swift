import Foundation
import Ops
import TestHelpers
import XCTest

@testable import Ledger

/// Closed segments archived (moved, zstd-compressed) still verify with the live folder, damage
/// inside a compressed segment is found and named, and only finished segments ever move.
final class JournalArchiveTests: JournalTestCase {
    private static let signer = try! JournalKey(pem: JournalKey.generatePrivatePEM(), isPrivate: true, source: "test")
    private static let publicKey = try! JournalKey(pem: signer.publicPEM(), isPrivate: false, source: "test.pub")
    private var archive: String { folder + "-archive" }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: archive)
        super.tearDown()
    }

    /// `transfers` decisions, each completed unless listed in `unfinished`; a seal every third.
    private func write(transfers: Int, unfinished: Set<Int> = []) throws {
        let journal = try Journal(directory: folder, segmentBytes: 4096, signer: Self.signer)
        for n in 1...transfers {
            try journal.append(Self.decision(n), durable: false)
            if !unfinished.contains(n) {
                try journal.append(.completed(transferID: "ledger.\(n)"), durable: n % 3 == 0)
            }
        }
    }

    private func verify() throws -> JournalVerify.Report {
        try JournalVerify.verify(directories: [folder, archive], publicKeys: [Self.publicKey])
    }

    func testACompressedArchiveVerifiesWithTheLiveFolderWhichStillOpens() throws {
        try write(transfers: 80)
        let before = try Journal.segmentNames(folder)
        let total = try Journal.read(directory: folder).records.count
        let moved = try JournalArchive.archive(journal: folder, to: archive, compress: true)
        XCTAssertEqual(moved.map(\.segment), Array(before.dropLast()), "every closed segment, never the open one")
        XCTAssertEqual(try Journal.segmentNames(folder), [before.last].compactMap { $0 })
        let files = try FileManager.default.contentsOfDirectory(atPath: archive).sorted()
        XCTAssertEqual(files, moved.map { $0.segment + ".zst" })
        for segment in moved { XCTAssertLessThan(segment.storedBytes, segment.bytes, segment.segment) }

        var report = try verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.records, total)
        XCTAssertEqual(report.verifiedSeals, report.seals)
        XCTAssertGreaterThan(report.seals, 20)
        // Without the archive the journal misses its start.
        XCTAssertNotNil(try JournalVerify.verify(directories: [folder], publicKeys: [Self.publicKey]).problem)

        // The live folder opens and the chain continues across the archived part.
        do {
            let journal = try Journal(directory: folder, segmentBytes: 4096, signer: Self.signer)
            XCTAssertEqual(journal.recovered.first?.sequence, UInt64(total - journal.recovered.count + 1))
            try journal.append(Self.decision(81), durable: true)
        }
        report = try verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.records, total + 2, "the decision and its seal")
    }

    func testAFlippedByteInsideACompressedSegmentIsFoundAndNamed() throws {
        try write(transfers: 80)
        let moved = try JournalArchive.archive(journal: folder, to: archive, compress: true)
        XCTAssertGreaterThan(moved.count, 2)
        let target = moved[1].file
        let path = archive + "/" + target
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // The frame's magic number, the middle of the data, the content checksum at the very end.
        // (zstd ignores one bit of the frame header: flipping it leaves the content, so the
        // journal, unchanged.)
        for position in [0, original.count / 2, original.count - 1] {
            var bytes = original
            bytes[position] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let problem = try XCTUnwrap(try verify().problem, "byte \(position) flipped, not found")
            XCTAssertTrue(problem.hasPrefix(target), "byte \(position): \(problem)")
        }
        var bytes = original
        bytes[original.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let problem = try XCTUnwrap(try verify().problem)
        XCTAssertTrue(problem.contains("the compressed segment is damaged (zstd: "), problem)
        // The records before it are those of the first archived segment, which reads.
        let first =
            try JournalArchive.read(archive).compactMap { file -> Int? in
                if case .segment(let s) = file { return try? JournalScan.scan([s]).records.count }
                return nil
            }.first ?? 0
        XCTAssertTrue(problem.hasSuffix("its records (from record \(first + 1) on) cannot be read"), problem)
        // Cut short at the end: named too.
        try Data(original.dropLast(7)).write(to: URL(fileURLWithPath: path))
        XCTAssertTrue(try XCTUnwrap(try verify().problem).hasPrefix(target + ": the compressed segment is damaged"))
        // Restored: intact again.
        try Data(original).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(try verify().problem)
    }

    func testOnlyFinishedClosedSegmentsMoveAndTheLockIsHonoured() throws {
        try write(transfers: 80, unfinished: [40])
        let segments = try Journal.segments(folder)
        let holding = try XCTUnwrap(
            segments.firstIndex { segment in
                (try? JournalScan.scan([segment]).records)?.contains {
                    if case .decision(let d) = $0.body { return d.transferID == "ledger.40" }
                    return false
                } ?? false
            })
        XCTAssertGreaterThan(holding, 0)
        XCTAssertLessThan(holding, segments.count - 1)
        do {
            let open = try Journal(directory: folder, segmentBytes: 4096)
            XCTAssertThrowsError(try JournalArchive.archive(journal: folder, to: archive, compress: false)) { error in
                XCTAssertEqual((error as? JournalError)?.code, .locked)
            }
            _ = open
        }
        let moved = try JournalArchive.archive(journal: folder, to: archive, compress: false)
        XCTAssertEqual(moved.map(\.segment), segments.prefix(holding).map(\.name))
        XCTAssertEqual(moved.map(\.storedBytes), moved.map(\.bytes))
        XCTAssertEqual(try JournalArchive.archive(journal: folder, to: archive, compress: false), [], "nothing more")
        XCTAssertNil(try verify().problem)
        let journal = try Journal(directory: folder, segmentBytes: 4096)
        XCTAssertTrue(
            journal.recovered.contains {
                if case .decision(let d) = $0.body { return d.transferID == "ledger.40" }
                return false
            }, "the unfinished decision stays for recovery")
    }

    /// A run cut short after the archive file was written: the next run only removes the segment.
    func testARunCutShortIsFinishedByTheNextOne() throws {
        try write(transfers: 40)
        let first = try XCTUnwrap(try Journal.segments(folder).first)
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder + "/" + first.name, toPath: archive + "/" + first.name)
        XCTAssertEqual(
            try JournalVerify.verify(directories: [folder, archive], publicKeys: []).problem,
            "\(first.name) is both in \(folder) and in \(archive)")
        let moved = try JournalArchive.archive(journal: folder, to: archive, compress: false)
        XCTAssertEqual(moved.first?.segment, first.name)
        XCTAssertNil(try verify().problem)
    }

    /// The built `sluice journal archive` and `journal verify` on the same folders.
    func testTheBinaryArchivesCompressedAndVerifies() throws {
        try write(transfers: 60)
        let binary = try BuiltBinary.path()
        func sluice(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let run = try BuiltBinary.run(binary, arguments)
            return (run.status, run.out + run.err)
        }
        let publicKey = folder + "-key.pub.pem"
        try Self.signer.publicPEM().write(toFile: publicKey, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: publicKey) }
        do {
            let held = try Journal(directory: folder, segmentBytes: 4096)
            let refused = try sluice(["journal", "archive", folder, archive, "--compress"])
            XCTAssertEqual(refused.status, 1, refused.output)
            XCTAssertTrue(refused.output.contains("holds this journal"), refused.output)
            _ = held
        }
        var result = try sluice(["journal", "archive", folder, archive, "--compress"])
        XCTAssertEqual(result.status, 0, result.output)
        let names = try FileManager.default.contentsOfDirectory(atPath: archive).sorted()
        XCTAssertFalse(names.isEmpty)
        XCTAssertTrue(
            result.output.contains("archived \(names[0].dropLast(4)) -> \(archive)/\(names[0]) ("), result.output)
        XCTAssertTrue(result.output.contains("\(names.count) segment(s) archived; "), result.output)
        result = try sluice(["journal", "verify", folder, archive, "--public-key", publicKey])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.hasPrefix("intact: "), result.output)

        let path = archive + "/" + names[0]
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        result = try sluice(["journal", "verify", folder, archive, "--public-key", publicKey])
        XCTAssertEqual(result.status, 3, result.output)
        XCTAssertTrue(
            result.output.hasPrefix("TAMPERED: \(names[0]): the compressed segment is damaged"), result.output)
        XCTAssertEqual(try sluice(["journal", "archive", folder]).status, 2)
        XCTAssertEqual(try sluice(["journal", "archive", folder, folder + "/"]).status, 2)
    }
}
