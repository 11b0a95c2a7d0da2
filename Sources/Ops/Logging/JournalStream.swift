import Foundation

/// systemd connects a service's standard error straight to the journal and says so in
/// `JOURNAL_STREAM=DEVICE:INODE` (systemd.exec(5)); when that names this process's standard error,
/// each line may start with an sd-daemon priority prefix (`<4>` for a warning), which the journal
/// strips and stores as the line's priority, so `journalctl -p warning -u sluice` works.
package enum JournalStream {
    /// True when `environment`'s JOURNAL_STREAM names the file open on `descriptor` (a child that
    /// inherited the variable but not the descriptor gets false).
    package static func isConnected(environment: [String: String], descriptor: Int32 = STDERR_FILENO) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// `<N>` for `level` (syslog priorities: error 3, warning 4, notice 5, info 6, debug 7).
    package static func prefix(_ level: LogLevel) -> String { "<\(level.syslogPriority)>" }
}

extension LogLevel {
    /// The syslog priority of this level (sd-daemon(3)).
    package var syslogPriority: Int {
        switch self {
        case .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        }
    }
}
