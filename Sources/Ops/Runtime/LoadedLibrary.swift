import Foundation

/// A C library as this process actually loaded it: the version it reports (or, for a library
/// without a version call, the version in its file name) and the file the dynamic loader mapped.
/// `sluice --version` prints one line per library, so an operator sees whether the packaged copy
/// (RUNPATH `/usr/lib/sluice`) or a system one was picked up.
package struct LoadedLibrary: Sendable, Equatable {
    package let name: String
    package let version: String
    /// The file holding the library's code, as the process's memory map names it (symbolic links resolved); nil if it cannot be found.
    package let path: String?

    package init(name: String, version: String, path: String?) {
        self.name = name
        self.version = version
        self.path = path
    }

    /// `librdkafka 2.16.1 (/usr/lib/sluice/librdkafka.so.1)`.
    package var line: String { "\(name) \(version) (\(path ?? "file not found"))" }

    /// The file that holds the already-loaded function `symbol`: its address (dlsym in the global
    /// scope) looked up in the process's memory map; nil when no loaded object defines it.
    package static func file(defining symbol: String) -> String? {
        // Read to the end: a /proc file has no size, and String(contentsOfFile:) stops at a page.
        guard let address = dlsym(nil, symbol),
            let maps = try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd()
        else { return nil }
        return file(at: UInt(bitPattern: address), maps: String(decoding: maps, as: UTF8.self))
    }

    /// The path of the `/proc/PID/maps` line whose address range holds `address`.
    static func file(at address: UInt, maps: String) -> String? {
        for line in maps.split(separator: "\n") {
            // "7f1c2a000000-7f1c2a021000 r-xp 00000000 08:01 1234  /usr/lib/x86_64-linux-gnu/libz.so.1"
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let path = fields[5].trimmingCharacters(in: .whitespaces)
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            guard path.hasPrefix("/"), bounds.count == 2, address >= bounds[0], address < bounds[1] else { continue }
            return path
        }
        return nil
    }

    /// The version a shared object's file name carries after `.so.` (`libhiredis.so.0.14` is
    /// "0.14"), following symbolic links to the real file; nil when there is none.
    package static func fileNameVersion(_ path: String) -> String? {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().lastPathComponent
        guard let range = real.range(of: ".so.") else { return nil }
        let version = real[range.upperBound...]
        return version.isEmpty ? nil : String(version)
    }
}
