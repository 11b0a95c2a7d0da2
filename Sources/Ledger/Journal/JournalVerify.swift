import Foundation

/// `sluice journal verify`: checks every frame's CRC, the gapless sequence, the hash chain and
/// (with a public key) every seal's signature, and names the first bad record. Pure over the
/// scanned segments; nothing is changed on disk.
///
/// What it proves: with the public key, every record up to the last seal is exactly what the
/// key's holder wrote (a changed, deleted, inserted or reordered record breaks the chain; a
/// re-built chain breaks the seal's signature; a segment missing from the middle breaks the
/// sequence and the chain; a cut inside a record is a torn frame). Records after the last seal
/// (the tail of a crashed group commit, or completions not yet followed by an fsync) are
/// chained but unsigned: they are counted, not refused. Whole records cut from the very end
/// leave a valid shorter journal: only an anchor kept elsewhere (the last seal) shows that.
package enum JournalVerify {
    package struct Report: Sendable, Equatable {
        package var records = 0
        package var seals = 0
        /// Seals whose signature was checked (0 without a public key).
        package var verifiedSeals = 0
        /// Records after the last seal (chained, unsigned).
        package var unsignedTail = 0
        /// The first problem found, naming the record; nil = intact.
        package var problem: String?
    }

    /// The segments of every folder in `directories`, verified as one journal: closed segments
    /// moved to an archive folder, as they are or compressed (`JournalArchive`), verify together
    /// with the live folder. `publicKeys`: every key the journal was sealed with (key rotation: a
    /// seal names its key); empty = not checked. A compressed segment that does not decompress is
    /// named (after any problem in the records before it).
    package static func verify(directories: [String], publicKeys: [JournalKey]) throws(JournalError) -> Report {
        var files: [JournalArchive.File] = []
        var seen: [String: String] = [:]
        for directory in directories {
            for file in try JournalArchive.read(directory) {
                if let other = seen[file.segmentName] {
                    var report = Report()
                    report.problem = "\(file.segmentName) is both in \(other) and in \(directory)"
                    return report
                }
                seen[file.segmentName] = directory
                files.append(file)
            }
        }
        files.sort { $0.segmentName < $1.segmentName }
        var segments: [JournalScan.Segment] = []
        for file in files {
            switch file {
            case .segment(let segment):
                segments.append(segment)
            case .damaged(let name, let problem):
                var report = verify(segments, publicKeys: publicKeys)
                guard report.problem == nil else { return report }
                report.problem =
                    "\(name): the compressed segment is damaged (\(problem)): its records (from record "
                    + "\(report.records + 1) on) cannot be read"
                return report
            }
        }
        return verify(segments, publicKeys: publicKeys)
    }

    package static func verify(_ segments: [JournalScan.Segment], publicKeys: [JournalKey]) -> Report {
        var report = Report()
        let scan: JournalScan.Result
        do {
            scan = try JournalScan.scan(segments, details: true)
        } catch {
            report.problem = "\(error.file) at byte \(error.offset): \(error.message)"
            return report
        }
        report.records = scan.records.count
        if let torn = scan.tornTail {
            report.problem =
                "\(torn.segment) at byte \(torn.offset): the last record is cut short or damaged "
                + "(\(torn.discarded) byte(s)): truncated, or a crash the ledger has not reopened since"
            return report
        }
        if let first = scan.records.first, first.sequence != 1 {
            report.problem =
                "record \(first.sequence) (\(scan.locations[0])): the journal starts at sequence \(first.sequence), "
                + "not 1: the segments before it are missing"
            return report
        }
        var lastSeal = -1
        for (index, record) in scan.records.enumerated() {
            let place = "record \(record.sequence) (\(scan.locations[index]))"
            let expected = index == 0 ? JournalHash.genesis : scan.hashes[index - 1]
            guard record.chain == expected else {
                report.problem =
                    record.chain.isEmpty
                    ? "\(place): no chain (written before the journal was chained)"
                    : "\(place): its chain does not match the hash of record \(record.sequence - 1): that record "
                        + "was altered, or records were deleted, inserted or reordered here"
                return report
            }
            guard case .seal(let seal) = record.body else { continue }
            report.seals += 1
            lastSeal = index
            guard !publicKeys.isEmpty else { continue }
            guard let publicKey = publicKeys.first(where: { $0.keyID == seal.keyID }) else {
                report.problem =
                    "\(place): sealed by key \(hex(seal.keyID)), which is none of the public keys given ("
                    + publicKeys.map(\.keyIDText).joined(separator: ", ") + ")"
                return report
            }
            let message = JournalHash.sealMessage(sequence: record.sequence, chain: record.chain)
            guard publicKey.verify(seal.signature, of: message) else {
                report.problem = "\(place): the seal's signature does not verify: records up to it were rewritten"
                return report
            }
            report.verifiedSeals += 1
        }
        report.unsignedTail = scan.records.count - 1 - lastSeal
        if !publicKeys.isEmpty, report.seals == 0, report.records > 0 {
            report.problem = "the journal holds \(report.records) record(s) and no seal: it was not signed"
        }
        return report
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
