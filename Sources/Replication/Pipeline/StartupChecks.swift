import MySQLSource
import Ops

/// The durability and format checks `sluice run` makes before it starts. Each refuses to run
/// with the reason, unless turned off by its own key in `[source.checks]`; a check turned off
/// whose condition fails is still reported as a warning, so the log says what was accepted.
package struct StartupChecks: Sendable, Equatable {
    package struct Finding: Sendable, Equatable {
        /// The `[source.checks]` key that turns this check off.
        package var key: String
        package var message: String
    }

    /// Failed checks that are on: the daemon must not start.
    package var refusals: [Finding] = []
    /// Failed checks that the configuration turned off.
    package var accepted: [Finding] = []

    package init(settings s: ServerSettings, checks: SourceConfig.Checks, hasMappings: Bool) {
        func check(_ on: Bool, _ key: String, _ ok: Bool, _ message: @autoclosure () -> String) {
            guard !ok else { return }
            let finding = Finding(key: key, message: message())
            if on { refusals.append(finding) } else { accepted.append(finding) }
        }
        check(
            checks.requireSyncBinlog, "require_sync_binlog", s.syncBinlog == 1,
            "sync_binlog is \(s.syncBinlog.map(String.init) ?? "unknown"), not 1: after a crash the server can lose binlog events "
                + "that sluice already published, so Redis and Kafka would hold changes the database no longer has")
        check(
            checks.requireInnodbFlush, "require_innodb_flush", s.innodbFlushLogAtTrxCommit == 1,
            "innodb_flush_log_at_trx_commit is \(s.innodbFlushLogAtTrxCommit.map(String.init) ?? "unknown"), not 1: after a crash "
                + "the server can lose committed transactions that sluice already published")
        check(
            checks.requireRowFormat, "require_row_format", s.binlogFormat.uppercased() == "ROW",
            "binlog_format is \(s.binlogFormat), not ROW: statement events carry no row images to replicate")
        check(
            checks.requireFullRowImage, "require_full_row_image",
            !hasMappings || s.binlogRowImage.uppercased() == "FULL",
            "binlog_row_image is \(s.binlogRowImage), not FULL: mapped tables need every column of every changed row")
    }

    package var passed: Bool { refusals.isEmpty }

    /// The refusal as one message: every failed check, and how to override each.
    package var refusalText: String {
        "refusing to start: "
            + refusals.map { "\($0.message) (set [source.checks] \($0.key) = false to run anyway)" }
            .joined(separator: "; ")
    }

    /// Log lines for the checks that failed but were turned off.
    package var acceptedText: [String] {
        accepted.map { "startup check \($0.key) is off: \($0.message)" }
    }
}

extension StartupChecks {
    /// What the source prerequisites (`SourcePrerequisites`) add to these checks, which already
    /// cover the binlog format, row image and durability settings (and let them be turned off):
    /// refusals for the binary log being off, the server_id and the account's privileges, and
    /// the warning about binlog_row_metadata.
    package static func beyondChecks(_ report: PrerequisiteReport) -> (refusals: [String], warnings: [String]) {
        let refusals = report.errors.filter { error in
            [.serverIDConflict, .privileges, .configuration].contains(error.code)
                || error.message.hasPrefix("the binary log is off")
        }
        return (refusals.map(\.message), report.warnings.filter { $0.contains("binlog_row_metadata") })
    }
}

/// `sluice run` refused to start because of what the server or the account is (startup checks,
/// prerequisites): exit status 3, which the systemd unit does not restart (it would be refused
/// the same way until someone changes the server or the configuration).
package struct StartupRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
