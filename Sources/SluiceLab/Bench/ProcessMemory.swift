import Foundation

/// Another process's memory as Linux reports it in `/proc/PID/status`.
package enum ProcessMemory {
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
