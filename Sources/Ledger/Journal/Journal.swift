import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The append-only, fsync'd coordinator log: segment files `journal-<first sequence>.log` in one
/// folder, records framed by `JournalFrame`, read back by `JournalScan`.
///
/// - **Group commit**: `append(_:durable: true)` writes its record and returns once an fsync that
///   covers it has finished. One caller at a time runs the fsync; every record written before it
///   started rides along, and callers that arrive meanwhile wait for the next one. So N concurrent
///   decisions cost about one fsync, and none is acknowledged before its bytes are on disk.
/// - **Fail-stop**: the first write or fsync failure stops the journal for good: that call (and
///   every call waiting for the failed fsync) throws `.io`: its record may or may not be on disk;
///   every later call throws `.stopped`: its record was not written. `onFailure` runs once (the ledger process logs and
///   exits; recovery decides at the next start). A failed fsync is never retried: after one, the
///   kernel may have dropped the dirty pages, so a later "successful" fsync would prove nothing.
/// - **Rotation**: a record that would take the segment past `segmentBytes` starts a new one,
///   after an fsync of the old one and of the folder.
/// - **Opening** truncates a torn tail (`JournalScan`) and refuses a corrupt journal.
/// - **Tamper evidence**: every record carries the SHA-256 of the previous record's payload
///   (`chain`). With a `signer`, the caller that runs a group commit's fsync first appends one
///   `seal` record (an Ed25519 signature over its sequence and chain, so over everything before
///   it): one signature per fsync, never one per record; a segment is sealed before rotation.
package final class Journal: @unchecked Sendable {
    package struct Stats: Sendable, Equatable {
        package var records: UInt64 = 0
        package var fsyncs: UInt64 = 0
        /// Records made durable by those fsyncs (records per fsync = this / fsyncs).
        package var syncedRecords: UInt64 = 0
        package var fsyncSeconds: Double = 0
        /// Seal records written (one per signed group commit or rotation).
        package var seals: UInt64 = 0
    }

    package let directory: String
    package let segmentBytes: Int
    private let onFailure: @Sendable (JournalError) -> Void
    private let onFsync: @Sendable (_ seconds: Double, _ records: Int) -> Void
    private let signer: JournalKey?
    /// The key that seals the journal (it also signs transfer receipts); nil = unsigned.
    package var signingKey: JournalKey? { signer }
    /// The chain of the next record (the hash of the last one written).
    private var lastHash: [UInt8]
    private var lastIsSeal = false
    private let condition = NSCondition()
    private var fd: Int32
    /// Holds an exclusive `flock` on `LOCK` for the journal's lifetime: a second coordinator (or
    /// a `ledger recover` while `ledger serve` runs, which would roll back in-flight prepared
    /// branches as "undecided") is refused.
    private let lockFD: Int32
    private var segmentName: String
    private var segmentSize: Int
    private var nextSequence: UInt64
    private var writtenSequence: UInt64
    private var durableSequence: UInt64
    private var flushing = false
    private var storedFailure: JournalError?
    private var stats = Stats()

    /// Opens (or creates) the journal in `directory`; `recovered` holds every record already in it.
    package init(
        directory: String, segmentBytes: Int = 64 << 20, signer: JournalKey? = nil,
        onFailure: @escaping @Sendable (JournalError) -> Void = { _ in },
        onFsync: @escaping @Sendable (_ seconds: Double, _ records: Int) -> Void = { _, _ in }
    ) throws(JournalError) {
        self.directory = directory
        self.segmentBytes = max(segmentBytes, 4096)
        self.onFailure = onFailure
        self.onFsync = onFsync
        self.signer = signer
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(.io, file: directory, "cannot create the journal folder: \(error.localizedDescription)")
        }
        lockFD = try Self.lock(directory)
        let scan: JournalScan.Result
        do {
            scan = try Self.read(directory: directory)
        } catch {
            close(lockFD)
            throw error
        }
        if let torn = scan.tornTail {
            let path = directory + "/" + torn.segment
            guard truncate(path, off_t(torn.offset)) == 0 else {
                throw JournalError(
                    .io, file: path, offset: torn.offset, "truncating the torn tail: \(Self.errnoText())")
            }
        }
        let last = scan.records.last?.sequence ?? 0
        nextSequence = last + 1
        writtenSequence = last
        durableSequence = last
        recovered = scan.records
        lastHash = scan.lastHash
        if case .seal = scan.records.last?.body { lastIsSeal = true }
        tornTail = scan.tornTail
        if let name = try Self.segmentNames(directory).last {
            segmentName = name
            segmentSize = scan.lastSegmentEnd
        } else {
            segmentName = Self.segmentName(first: nextSequence)
            segmentSize = 0
        }
        fd = try Self.openSegment(directory + "/" + segmentName)
        if scan.tornTail != nil || segmentSize == 0 {
            guard fsync(fd) == 0 else {
                throw JournalError(.io, file: segmentName, "fsync after opening: \(Self.errnoText())")
            }
            try Self.syncDirectory(directory)
        }
    }

    /// The records found when opening, in order.
    package let recovered: [JournalRecord]
    /// The torn tail truncated when opening, if any.
    package let tornTail: JournalScan.TornTail?

    deinit {
        close(fd)
        close(lockFD)
    }

    package var currentStats: Stats { condition.withLock { stats } }

    /// The failure that stopped the journal, if any.
    package var failure: JournalError? { condition.withLock { storedFailure } }

    /// Appends `body`; with `durable`, returns only after an fsync covering it (group commit).
    /// Returns the record's sequence number.
    @discardableResult
    package func append(_ body: JournalRecord.Body, durable: Bool) throws(JournalError) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        if let failure = storedFailure {
            throw JournalError(.stopped, file: failure.file, offset: failure.offset, failure.message)
        }
        let sequence = try appendLocked(body)
        guard durable else { return sequence }
        while durableSequence < sequence {
            if let failure = storedFailure {
                // Written, but the fsync meant to cover it failed: it may or may not be on disk.
                throw JournalError(.io, file: failure.file, offset: failure.offset, failure.message)
            }
            if flushing {
                condition.wait()
                continue
            }
            if signer != nil, !lastIsSeal { try sealLocked() }
            flushing = true
            let target = writtenSequence
            let descriptor = fd
            let name = segmentName
            condition.unlock()
            let started = ContinuousClock.now
            let status = fsync(descriptor)
            let reason = status == 0 ? "" : Self.errnoText()
            let elapsed = ContinuousClock.now - started
            condition.lock()
            flushing = false
            condition.broadcast()
            guard status == 0 else {
                let error = JournalError(.io, file: name, offset: segmentSize, "fsync failed: \(reason)")
                failLocked(error)
                throw error
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            stats.fsyncs += 1
            stats.syncedRecords += target - durableSequence
            stats.fsyncSeconds += seconds
            onFsync(seconds, Int(target - durableSequence))
            durableSequence = target
        }
        return sequence
    }

    /// Writes one record (after a seal and a rotation if it does not fit the segment; a seal
    /// never rotates, it may pass `segmentBytes`).
    private func appendLocked(_ body: JournalRecord.Body) throws(JournalError) -> UInt64 {
        var record = JournalRecord(sequence: nextSequence, chain: lastHash, body: body)
        var frame = JournalFrame.encode(record)
        let isSeal: Bool
        if case .seal = body { isSeal = true } else { isSeal = false }
        do {
            if !isSeal, segmentSize > 0, segmentSize + frame.count > segmentBytes {
                if signer != nil, !lastIsSeal { try sealLocked() }
                try rotateLocked(first: nextSequence)
                record = JournalRecord(sequence: nextSequence, chain: lastHash, body: body)
                frame = JournalFrame.encode(record)
            }
            try writeLocked(frame)
        } catch {
            failLocked(error)
            throw error
        }
        lastHash = JournalHash.sha256(frame[JournalFrame.headerBytes...])
        lastIsSeal = isSeal
        nextSequence += 1
        writtenSequence = record.sequence
        segmentSize += frame.count
        stats.records += 1
        return record.sequence
    }

    /// Appends a seal: the signature of the chain so far.
    private func sealLocked() throws(JournalError) {
        guard let signer else { return }
        let signature: [UInt8]
        do {
            signature = try signer.sign(JournalHash.sealMessage(sequence: nextSequence, chain: lastHash))
        } catch {
            let failure = JournalError(.io, file: segmentName, offset: segmentSize, "\(error)")
            failLocked(failure)
            throw failure
        }
        _ = try appendLocked(.seal(JournalSeal(keyID: signer.keyID, signature: signature)))
        stats.seals += 1
    }

    private func failLocked(_ error: JournalError) {
        guard storedFailure == nil else { return }
        storedFailure = error
        condition.broadcast()
        onFailure(error)
    }

    private func writeLocked(_ frame: [UInt8]) throws(JournalError) {
        var written = 0
        while written < frame.count {
            let n = frame.withUnsafeBytes { raw in
                write(fd, raw.baseAddress.map { $0 + written }, frame.count - written)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw JournalError(
                    .io, file: segmentName, offset: segmentSize + written, "write failed: \(Self.errnoText())")
            }
            written += n
        }
    }

    private func rotateLocked(first: UInt64) throws(JournalError) {
        while flushing { condition.wait() }
        guard fsync(fd) == 0 else {
            throw JournalError(
                .io, file: segmentName, offset: segmentSize, "fsync before rotation: \(Self.errnoText())")
        }
        durableSequence = writtenSequence
        let name = Self.segmentName(first: first)
        let newFD = try Self.openSegment(directory + "/" + name)
        try Self.syncDirectory(directory)
        close(fd)
        fd = newFD
        segmentName = name
        segmentSize = 0
    }

    // MARK: - Files

    package static func segmentName(first: UInt64) -> String {
        let digits = String(first)
        return "journal-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    package static func segmentNames(_ directory: String) throws(JournalError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw JournalError(.io, file: directory, "cannot list the journal folder: \(error.localizedDescription)")
        }
        return names.filter { $0.hasPrefix("journal-") && $0.hasSuffix(".log") }.sorted()
    }

    /// Every segment of `directory`, scanned (nothing is changed on disk).
    package static func read(directory: String, details: Bool = false) throws(JournalError) -> JournalScan.Result {
        try JournalScan.scan(segments(directory), details: details)
    }

    /// Every segment file of `directory`, in order, as bytes.
    package static func segments(_ directory: String) throws(JournalError) -> [JournalScan.Segment] {
        var segments: [JournalScan.Segment] = []
        for name in try segmentNames(directory) {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw JournalError(.io, file: directory + "/" + name, "cannot read the segment")
            }
            segments.append(JournalScan.Segment(name: name, bytes: [UInt8](data)))
        }
        return segments
    }

    /// Takes the exclusive `flock` on `directory/LOCK` (released when the descriptor is closed).
    package static func lock(_ directory: String) throws(JournalError) -> Int32 {
        let descriptor = open(directory + "/LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw JournalError(.io, file: directory + "/LOCK", "cannot open: \(Self.errnoText())")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw JournalError(
                .locked, file: directory + "/LOCK",
                "another process (ledger serve or recover) holds this journal; one coordinator at a time")
        }
        return descriptor
    }

    private static func openSegment(_ path: String) throws(JournalError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw JournalError(.io, file: path, "cannot open: \(errnoText())") }
        return descriptor
    }

    package static func syncDirectory(_ directory: String) throws(JournalError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw JournalError(.io, file: directory, "cannot open the folder: \(errnoText())")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw JournalError(.io, file: directory, "fsync of the folder: \(errnoText())")
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) + " (errno \(errno))" }
}
