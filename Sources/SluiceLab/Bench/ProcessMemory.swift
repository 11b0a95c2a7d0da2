import Foundation

/// Another process's memory as Linux reports it in `/proc/PID/status`, and its CPU time.
package enum ProcessMemory {
    /// The process's CPU time so far (user + system, `/proc/PID/stat` fields 14 and 15) in
    /// seconds, nil when the process is gone.
    package static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return cpuSeconds(stat: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// User + system time of a `/proc/PID/stat` line. The command name (field 2) is in
    /// parentheses and may hold spaces, so fields are counted after its closing parenthesis.
    package static func cpuSeconds(stat: String, ticksPerSecond: Double) -> Double? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// The process's peak resident set (`VmHWM`) in MB, nil when the process or the line is gone.
    package static func peakMegabytes(pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return kilobytes(field: "VmHWM", in: status).map { $0 / 1024 }
    }

    /// A `Name:   123 kB` line of a `/proc/PID/status` text, in kB.
    package static func kilobytes(field: String, in status: String) -> Double? {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, parts[1] == "kB" else { return nil }
            return Double(parts[0])
        }
        return nil
    }
}
