import Foundation

/// Reading the services' log files for error messages.
package enum LogFile {
    /// The last `lines` lines of the file, or a note that it could not be read.
    package static func tail(_ path: String, lines: Int = 30) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log at \(path))" }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// The file's content from byte `offset` on.
    package static func read(_ path: String, from offset: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.dropFirst(offset), as: UTF8.self)
    }

    /// The file's size in bytes (0 when absent).
    package static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
