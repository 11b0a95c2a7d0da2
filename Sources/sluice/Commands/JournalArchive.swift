import Foundation
import Ledger
import Ops

/// `sluice journal archive DIR ARCHIVE [--compress]`: moves the closed segments whose transfers
/// are all finished out of the journal folder (docs/ledger.md, "Archiving the journal").
enum JournalArchiveCommand {
    static let command = Command(
        "journal archive",
        abstract: "Move closed, finished journal segments to an archive folder (zstd-compressed with --compress)",
        discussion: """
            Moves the closed segments of DIR, oldest first, up to the first one holding a decision
            without a completed or aborted record (recovery still needs it), to ARCHIVE; with
            --compress each one becomes journal-<first>.log.zst. Every file is fsync'd before its
            segment is removed. Holds the journal's lock: refused (exit 1) while `ledger serve` or
            `ledger recover` runs. `sluice journal verify DIR ARCHIVE` checks the whole journal.
            """,
        flags: [.boolean("compress", help: "compress each archived segment with zstd (.log.zst)")],
        positionals: [
            Positional("DIR", help: "the journal folder ([ledger] journal_dir)"),
            Positional("ARCHIVE", help: "the folder the segments move to (made if missing)"),
        ]
    ) { invocation in
        let args = invocation.arguments
        guard let directory = args.positional("DIR"), !directory.isEmpty,
            let archive = args.positional("ARCHIVE"), !archive.isEmpty
        else { throw UsageError("DIR and ARCHIVE are required") }
        guard (directory as NSString).standardizingPath != (archive as NSString).standardizingPath else {
            throw UsageError("ARCHIVE must be another folder than DIR")
        }
        let moved = try JournalArchive.archive(journal: directory, to: archive, compress: args.flag("compress"))
        for segment in moved {
            invocation.console.out(
                "archived \(segment.segment) -> \(archive)/\(segment.file) (\(segment.bytes) -> \(segment.storedBytes) bytes)"
            )
        }
        invocation.console.out(
            "\(moved.count) segment(s) archived; "
                + "\(moved.map(\.bytes).reduce(0, +)) bytes -> \(moved.map(\.storedBytes).reduce(0, +)) bytes")
        return .success
    }
}
