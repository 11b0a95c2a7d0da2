import BinlogCompression
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Closed journal segments moved out of `journal_dir` into an archive folder, as they are or
/// compressed (zstd, `journal-<first>.log.zst`), and read back by `sluice journal verify DIR
/// ARCHIVE...` as one journal with the live folder.
///
/// Rules of `archive` (`sluice journal archive`):
/// - It holds the journal's `LOCK`, so it is refused while `ledger serve` or `recover` runs.
/// - Only a prefix of the closed segments moves (never the last, open one; never one after a
///   segment that stays), so the live folder stays gapless and still opens.
/// - A segment stays while it holds a decision with no `completed` or `aborted` record anywhere
///   in the journal: recovery needs that decision (its branches may still be prepared; without
///   it they would be presumed aborted).
/// - The open segment is fsync'd first: the completions that let a segment go are durable.
/// - Each archived file is written to a temporary name, fsync'd, renamed and its folder fsync'd
///   before the segment is removed (and the journal folder fsync'd); a compressed file is
///   decompressed and compared first. A crash in between leaves the segment in both folders:
///   the next run finds the same content in the archive and only removes it from the journal.
package enum JournalArchive {
    package static let compressedSuffix = ".zst"
    /// The most bytes a compressed segment may hold once decompressed (`journal_segment_bytes`'s
    /// upper bound).
    static let maxSegmentBytes = 1 << 40

    /// A segment file as `verify` reads it.
    package enum File: Sendable, Equatable {
        case segment(JournalScan.Segment)
        /// A compressed file that does not decompress: tampering or damage, named by `verify`.
        case damaged(file: String, problem: String)

        /// The segment it stands for (`journal-<first>.log`), which orders the journal.
        package var segmentName: String {
            switch self {
            case .segment(let segment): return JournalArchive.segmentName(ofFile: segment.name)
            case .damaged(let file, _): return JournalArchive.segmentName(ofFile: file)
            }
        }
    }

    package static func segmentName(ofFile name: String) -> String {
        name.hasSuffix(compressedSuffix) ? String(name.dropLast(compressedSuffix.count)) : name
    }

    /// The segment files of `directory`, plain and compressed, read (nothing is changed).
    package static func read(_ directory: String) throws(JournalError) -> [File] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw JournalError(.io, file: directory, "cannot list the folder: \(error.localizedDescription)")
        }
        var files: [File] = []
        for name in names.sorted() where name.hasPrefix("journal-") {
            let compressed = name.hasSuffix(".log" + compressedSuffix)
            guard compressed || name.hasSuffix(".log") else { continue }
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw JournalError(.io, file: directory + "/" + name, "cannot read the segment")
            }
            guard compressed else {
                files.append(.segment(JournalScan.Segment(name: name, bytes: [UInt8](data))))
                continue
            }
            do {
                let bytes = try Zstd.decompress([UInt8](data), limit: maxSegmentBytes)
                files.append(.segment(JournalScan.Segment(name: name, bytes: bytes)))
            } catch {
                files.append(.damaged(file: name, problem: error.message))
            }
        }
        return files
    }

    /// How many of `segments` (the journal in order; the last one is open) may be archived: the
    /// closed segments before the first one holding an unfinished decision.
    package static func archivable(_ segments: [JournalScan.Segment]) throws(JournalError) -> Int {
        let scan = try JournalScan.scan(segments, details: true)
        var finished: Set<String> = []
        for record in scan.records {
            switch record.body {
            case .completed(let id), .aborted(let id): finished.insert(id)
            default: break
            }
        }
        var unfinishedIn: Set<String> = []
        for (index, record) in scan.records.enumerated() {
            if case .decision(let d) = record.body, !finished.contains(d.transferID) {
                unfinishedIn.insert(scan.locations[index].segment)
            }
        }
        return segments.dropLast().prefix { !unfinishedIn.contains($0.name) }.count
    }

    package struct Moved: Sendable, Equatable {
        package let segment: String
        /// The archived file's name and size.
        package let file: String
        package let bytes: Int
        package let storedBytes: Int
    }

    /// Moves the archivable segments of `directory` to `archive` (made if missing), compressed
    /// with `compress`; returns what moved, in order.
    package static func archive(
        journal directory: String, to archive: String, compress: Bool
    ) throws(JournalError) -> [Moved] {
        let lock = try Journal.lock(directory)
        defer { close(lock) }
        do {
            try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        } catch {
            throw JournalError(.io, file: archive, "cannot create the archive folder: \(error.localizedDescription)")
        }
        let segments = try Journal.segments(directory)
        // The completions that let a segment go may sit unsynced in the open segment: make them
        // durable before acting on them.
        if let open = segments.last { try syncFile(directory + "/" + open.name) }
        var moved: [Moved] = []
        for segment in segments.prefix(try archivable(segments)) {
            let file = segment.name + (compress ? compressedSuffix : "")
            let stored = try store(segment, as: archive + "/" + file, compress: compress)
            guard unlink(directory + "/" + segment.name) == 0 else {
                throw JournalError(.io, file: directory + "/" + segment.name, "cannot remove: \(Journal.errnoText())")
            }
            try Journal.syncDirectory(directory)
            moved.append(Moved(segment: segment.name, file: file, bytes: segment.bytes.count, storedBytes: stored))
        }
        return moved
    }

    private static func syncFile(_ path: String) throws(JournalError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError(.io, file: path, "cannot open: \(Journal.errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw JournalError(.io, file: path, "fsync: \(Journal.errnoText())") }
    }

    /// Writes `segment` durably to `path` (compressed, checked by decompressing); a file already
    /// there with the same content (a run cut short) is kept. Returns its size.
    private static func store(_ segment: JournalScan.Segment, as path: String, compress: Bool) throws(JournalError)
        -> Int
    {
        func content(_ bytes: [UInt8]) -> [UInt8]? {
            compress ? try? Zstd.decompress(bytes, limit: maxSegmentBytes) : bytes
        }
        if let existing = FileManager.default.contents(atPath: path) {
            guard content([UInt8](existing)) == segment.bytes else {
                throw JournalError(
                    .corrupt, file: path, "already archived with other content: compare it with \(segment.name)")
            }
            return existing.count
        }
        let bytes: [UInt8]
        do {
            bytes = compress ? try Zstd.compress(segment.bytes) : segment.bytes
        } catch {
            throw JournalError(.io, file: path, "compressing \(segment.name): \(error.message)")
        }
        guard content(bytes) == segment.bytes else {
            throw JournalError(.io, file: path, "the compressed \(segment.name) does not read back the same")
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw JournalError(.io, file: temporary, "cannot create: \(Journal.errnoText())") }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                close(fd)
                throw JournalError(.io, file: temporary, "write: \(Journal.errnoText())")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw JournalError(.io, file: temporary, "fsync: \(Journal.errnoText())")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            throw JournalError(.io, file: path, "rename from \(temporary): \(Journal.errnoText())")
        }
        try Journal.syncDirectory((path as NSString).deletingLastPathComponent)
        return bytes.count
    }
}
