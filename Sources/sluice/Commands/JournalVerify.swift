import Foundation
import Ledger
import Ops

/// `sluice journal verify DIR... [--public-key FILE]...`: exit 0 intact, 3 tampered (the first bad
/// record is named), 1 unreadable, 2 usage (docs/ledger.md, "Tamper evidence").
enum JournalVerifyCommand {
    static let command = Command(
        "journal verify",
        abstract: "Check the ledger journal's CRCs, hash chain and seal signatures (exit 3 if tampered)",
        flags: [
            .value(
                "public-key", placeholder: "FILE",
                help: "an Ed25519 public key (PEM) the journal was sealed with (one per key after a rotation); "
                    + "without one, signatures are not checked",
                repeatable: true)
        ],
        positionals: [
            Positional("DIR", help: "the journal folder ([ledger] journal_dir)"),
            Positional("ARCHIVE", help: "more folders holding moved (archived) segments", arity: .variadic),
        ]
    ) { invocation in
        let args = invocation.arguments
        guard let directory = args.positional("DIR"), !directory.isEmpty else { throw UsageError("DIR is required") }
        var keys: [JournalKey] = []
        for path in args.values("public-key") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw JournalError(.io, file: path, "cannot read the public key")
            }
            do {
                keys.append(try JournalKey(pem: String(decoding: data, as: UTF8.self), isPrivate: false, source: path))
            } catch {
                throw UsageError("--public-key: \(error)")
            }
        }
        let report = try JournalVerify.verify(
            directories: [directory] + args.variadic("ARCHIVE"), publicKeys: keys)
        let console = invocation.console
        if let problem = report.problem {
            console.out("TAMPERED: \(problem)")
            return .lagging
        }
        let signatures =
            keys.isEmpty
            ? "signatures not checked (no --public-key)"
            : "\(report.verifiedSeals) verified with key(s) " + keys.map(\.keyIDText).joined(separator: ", ")
        console.out(
            "intact: \(report.records) record(s), \(report.seals) seal(s) (\(signatures)), "
                + "\(report.unsignedTail) record(s) after the last seal (chained, not yet signed)")
        return .success
    }
}
