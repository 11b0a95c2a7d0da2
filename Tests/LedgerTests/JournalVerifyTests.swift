import Foundation
import Ops
import XCTest

@testable import Ledger

/// The signed hash chain: an intact journal verifies; each form of tampering is found and the
/// first bad record named (a rewrite that keeps CRCs valid is what an attacker would do).
final class JournalVerifyTests: JournalTestCase {
    private static let signer = try! JournalKey(pem: JournalKey.generatePrivatePEM(), isPrivate: true, source: "test")
    private static let publicKey = try! JournalKey(pem: signer.publicPEM(), isPrivate: false, source: "test.pub")

    /// `transfers` decisions and completions; a durable append (so a seal) every third transfer.
    private func write(transfers: Int, segmentBytes: Int = 64 << 20, signer: JournalKey? = signer) throws {
        let journal = try Journal(directory: folder, segmentBytes: segmentBytes, signer: signer)
        for n in 1...transfers {
            try journal.append(Self.decision(n), durable: false)
            try journal.append(.completed(transferID: "ledger.\(n)"), durable: n % 3 == 0)
        }
    }

    private func verify(_ key: JournalKey? = publicKey) throws -> JournalVerify.Report {
        try JournalVerify.verify(directories: [folder], publicKeys: key.map { [$0] } ?? [])
    }

    private func records() throws -> [JournalRecord] { try Journal.read(directory: folder).records }

    /// Replaces the (single) segment with `records` re-encoded: valid CRCs, chains as given or,
    /// with `rechain`, recomputed (what someone without the signing key can do).
    private func rewrite(_ records: [JournalRecord], renumber: Bool = true, rechain: Bool = false) throws {
        var bytes: [UInt8] = []
        var previous = JournalHash.genesis
        for (index, old) in records.enumerated() {
            let record = JournalRecord(
                sequence: renumber ? UInt64(index + 1) : old.sequence, chain: rechain ? previous : old.chain,
                body: old.body)
            let frame = JournalFrame.encode(record)
            previous = JournalHash.sha256(frame[JournalFrame.headerBytes...])
            bytes += frame
        }
        for name in try Journal.segmentNames(folder) { try FileManager.default.removeItem(atPath: folder + "/" + name) }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + Journal.segmentName(first: 1)))
    }

    private func problem(keys: [JournalKey] = [publicKey]) throws -> String {
        try XCTUnwrap(JournalVerify.verify(directories: [folder], publicKeys: keys).problem, "tampering not found")
    }

    /// The problem found starts with `prefix` and contains `text`.
    private func assertProblem(
        _ prefix: String = "", _ text: String = "", keys: [JournalKey] = [publicKey], file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let found = try problem(keys: keys)
        XCTAssertTrue(found.hasPrefix(prefix) && (text.isEmpty || found.contains(text)), found, file: file, line: line)
    }

    func testAnIntactSignedJournalVerifiesAcrossSegmentsAndReopens() throws {
        try write(transfers: 40, segmentBytes: 4096)
        let segments = try Journal.segments(folder)
        XCTAssertGreaterThan(segments.count, 1)
        for sealed in segments.dropLast() {
            let last = try XCTUnwrap(JournalScan.scan([sealed]).records.last)
            guard case .seal = last.body else { return XCTFail("\(sealed.name) does not end with a seal") }
        }
        do {
            // Reopening continues the chain from the last record on disk.
            let journal = try Journal(directory: folder, segmentBytes: 4096, signer: Self.signer)
            try journal.append(Self.decision(41), durable: true)
        }
        let report = try verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.records, try records().count)
        XCTAssertGreaterThanOrEqual(report.seals, 14)
        XCTAssertEqual(report.verifiedSeals, report.seals)
        XCTAssertEqual(report.unsignedTail, 0)
    }

    func testAFlippedByteIsNamed() throws {
        try write(transfers: 6)
        let path = folder + "/" + Journal.segmentName(first: 1)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let text = try problem()
        XCTAssertTrue(text.contains(Journal.segmentName(first: 1) + " at byte "), text)
        XCTAssertTrue(text.contains("checksum mismatch"), text)
    }

    func testARecordRewrittenWithAValidCRCBreaksTheChainAtTheNextRecord() throws {
        try write(transfers: 6)
        var all = try records()
        guard case .decision(var d) = all[4].body else { return XCTFail("record 5 is \(all[4].body)") }
        d.amountMinor = 1_000_000
        all[4] = JournalRecord(sequence: 5, chain: all[4].chain, body: .decision(d))
        try rewrite(all)
        try assertProblem("record 6 (journal-")
        try assertProblem("", "does not match the hash of record 5")
    }

    func testARebuiltChainFailsTheNextSealAndOnlyTheKeyShowsIt() throws {
        try write(transfers: 6)
        var all = try records()
        all[0] = JournalRecord(sequence: 1, chain: all[0].chain, body: Self.decision(999))
        try rewrite(all, rechain: true)
        let sealIndex = try XCTUnwrap(all.firstIndex { if case .seal = $0.body { true } else { false } })
        let text = try problem()
        XCTAssertTrue(text.hasPrefix("record \(sealIndex + 1) ("), text)
        XCTAssertTrue(text.contains("signature does not verify"), text)
        XCTAssertNil(try verify(nil).problem, "without the key a rebuilt chain is consistent")
    }

    func testADeletedRecordIsFoundRenumberedOrNot() throws {
        try write(transfers: 6)
        var all = try records()
        all.remove(at: 3)
        try rewrite(all, renumber: false)
        try assertProblem("", "sequence 5 where 4 was expected")
        try rewrite(all, renumber: true)
        try assertProblem("record 4 (")
        try assertProblem("", "chain does not match the hash of record 3")
    }

    func testAnInsertedRecordIsFound() throws {
        try write(transfers: 6)
        var all = try records()
        let forged = JournalFrame.encode(all[2])
        all.insert(
            JournalRecord(
                sequence: 0, chain: JournalHash.sha256(forged[JournalFrame.headerBytes...]), body: Self.decision(77)),
            at: 3)
        try rewrite(all)
        // The forged record 4 chains to record 3 correctly; the one after it cannot.
        try assertProblem("record 5 (")
    }

    func testReorderedRecordsAreFound() throws {
        try write(transfers: 6)
        var all = try records()
        all.swapAt(2, 3)
        try rewrite(all)
        try assertProblem("record 3 (")
    }

    func testATruncatedJournalIsFound() throws {
        try write(transfers: 6)
        let path = folder + "/" + Journal.segmentName(first: 1)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(truncate(path, off_t(size - 5)), 0)
        try assertProblem("", "cut short or damaged")
    }

    func testASegmentMissingFromTheMiddleIsFound() throws {
        try write(transfers: 80, segmentBytes: 4096)
        let names = try Journal.segmentNames(folder)
        XCTAssertGreaterThanOrEqual(names.count, 3)
        try FileManager.default.removeItem(atPath: folder + "/" + names[1])
        let text = try problem()
        XCTAssertTrue(text.hasPrefix(names[2] + " at byte 0: sequence "), text)
        try FileManager.default.removeItem(atPath: folder + "/" + names[0])
        try assertProblem("", "the segments before it are missing")
    }

    func testTheWrongKeyAndAnUnsignedJournalAreRefused() throws {
        try write(transfers: 3)
        let other = try JournalKey(pem: JournalKey.generatePrivatePEM(), isPrivate: true, source: "other")
        let otherPublic = try JournalKey(pem: other.publicPEM(), isPrivate: false, source: "other.pub")
        XCTAssertTrue(
            try verify(otherPublic).problem?.contains(
                "sealed by key \(Self.signer.keyIDText), which is none of the public keys given") == true)
        try FileManager.default.removeItem(atPath: folder)
        try write(transfers: 3, signer: nil)
        XCTAssertNil(try verify(nil).problem, "an unsigned journal is still chained")
        try assertProblem("", "no seal: it was not signed")
    }

    func testARotatedKeyKeepsTheOldSealsVerifiable() throws {
        try write(transfers: 3)
        let next = try JournalKey(pem: JournalKey.generatePrivatePEM(), isPrivate: true, source: "next")
        let nextPublic = try JournalKey(pem: next.publicPEM(), isPrivate: false, source: "next.pub")
        do {
            let journal = try Journal(directory: folder, signer: next)
            try journal.append(Self.decision(4), durable: true)
        }
        let report = try JournalVerify.verify(directories: [folder], publicKeys: [Self.publicKey, nextPublic])
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.verifiedSeals, 2)
        try assertProblem("record 7 (", "sealed by key \(Self.signer.keyIDText)", keys: [nextPublic])
    }

    func testSegmentsMovedToAnArchiveFolderStillVerify() throws {
        try write(transfers: 80, segmentBytes: 4096)
        let archive = folder + "/archive"
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let names = try Journal.segmentNames(folder)
        for name in names.prefix(2) { try FileManager.default.moveItem(atPath: folder + "/" + name, toPath: archive + "/" + name) }
        let report = try JournalVerify.verify(directories: [folder, archive], publicKeys: [Self.publicKey])
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.records, try records().count + JournalScan.scan(Journal.segments(archive)).records.count)
        try assertProblem("", "the segments before it are missing")
        try FileManager.default.copyItem(atPath: archive + "/" + names[0], toPath: folder + "/" + names[0])
        let twice = try JournalVerify.verify(directories: [folder, archive], publicKeys: [])
        XCTAssertEqual(twice.problem, "\(names[0]) is both in \(folder) and in \(archive)")
    }

    func testTheSigningKeyComesFromAFileNeverTheConfigText() throws {
        let keyPath = folder + "/journal.pem"
        try JournalKey.generatePrivatePEM().write(toFile: keyPath, atomically: true, encoding: .utf8)
        func load(_ line: String) -> Result<SluiceConfig.Loaded, ConfigErrors> {
            SluiceConfig.parse(
                "[ledger]\njournal_dir = \"j\"\n\(line)\n[[ledger.shard]]\nuser = \"a\"\n", file: "l.toml",
                directory: folder, environment: [:])
        }
        let config = try XCTUnwrap(load("journal_signing_key_file = \"journal.pem\"").get().config.ledger)
        XCTAssertEqual(try LedgerRuntime.signer(config)?.keyIDText.count, 16)
        guard case .failure(let errors) = load("journal_signing_key = \"-----BEGIN PRIVATE KEY-----\"") else {
            return XCTFail("an inline key was accepted")
        }
        XCTAssertTrue(errors.description.contains("l.toml:3: ledger.journal_signing_key: a private key never"), "\(errors)")
        var notAKey = try XCTUnwrap(load("journal_signing_key_file = \"journal.pem\"").get().config.ledger)
        notAKey.journalSigningKey = Secret("hello")
        XCTAssertThrowsError(try LedgerRuntime.signer(notAKey)) { error in
            XCTAssertEqual((error as? JournalError)?.code, .key)
        }
    }

    /// 100,000 records (one seal per 100): the figure in docs/ledger.md comes from this line.
    func testAnIntactJournalOf100000RecordsVerifies() throws {
        do {
            let journal = try Journal(directory: folder, segmentBytes: 4 << 20, signer: Self.signer)
            for n in 1...50_000 {
                try journal.append(Self.decision(n), durable: false)
                try journal.append(.completed(transferID: "ledger.\(n)"), durable: n % 50 == 0)
            }
        }
        let started = ContinuousClock.now
        let report = try verify()
        let elapsed = ContinuousClock.now - started
        XCTAssertNil(report.problem)
        XCTAssertGreaterThan(report.records, 100_000)
        XCTAssertEqual(report.verifiedSeals, report.seals)
        print("journal verify: \(report.records) records, \(report.seals) seals in \(elapsed)")
    }
}
