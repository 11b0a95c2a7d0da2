import Foundation

/// `sluice_build_info` and the process metrics (resident memory, CPU seconds, start time, open
/// file descriptors), read from /proc and getrusage at every scrape (`MetricsRegistry.onCollect`).
/// A sample that cannot be read is left as it was.
package enum ProcessMetrics {
    package static func install(on registry: MetricsRegistry, version: String = SluiceVersion.current) {
        (try? registry.gauge(SluiceMetrics.buildInfo, [.version: version]))?.set(1)
        guard let memory = try? registry.gauge(SluiceMetrics.processResidentMemoryBytes),
            let cpu = try? registry.counter(SluiceMetrics.processCPUSeconds),
            let start = try? registry.gauge(SluiceMetrics.processStartTimeSeconds),
            let descriptors = try? registry.gauge(SluiceMetrics.processOpenFDs)
        else { return }
        if let started = startTime() { start.set(started) }
        registry.onCollect {
            if let bytes = residentBytes() { memory.set(bytes) }
            // A counter holds whole units: the CPU seconds completed so far.
            let used = UInt64(cpuSeconds())
            if used > cpu.value { cpu.increment(by: used - cpu.value) }
            if let count = openDescriptors() { descriptors.set(count) }
        }
    }

    /// Resident set size: the second field of /proc/self/statm, in pages.
    static func residentBytes() -> Double? {
        guard let statm = read("/proc/self/statm") else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// User plus system CPU time of the process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The boot time (/proc/stat `btime`) plus the process's start in clock ticks after boot
    /// (field 22 of /proc/self/stat, counted after the parenthesised command name).
    static func startTime() -> Double? {
        guard let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")"),
            let system = read("/proc/stat"),
            let bootLine = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst("btime ".count))
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func openDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(\.count)
    }

    /// A /proc file to its end (they report no size, so String(contentsOfFile:) may stop early).
    private static func read(_ path: String) -> String? {
        guard let data = try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
