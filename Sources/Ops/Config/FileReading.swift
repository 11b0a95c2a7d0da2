import Foundation

/// Reads whole small files (the configuration, secret files) and explains failures in plain words.
enum FileReading {
    struct Failure: Error, Equatable {
        let reason: String
    }

    static func read(_ path: String) throws(Failure) -> Data {
        // Only a regular file: a FIFO would block the read until something writes to it, a
        // device would give whatever it gives (and neither is a permission problem).
        var info = stat()
        if stat(path, &info) == 0, let kind = notRegular(info.st_mode) {
            throw Failure(reason: "is \(kind), not a regular file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(reason: reason(path, error))
        }
    }

    /// What a file of this mode is when it is not a regular file.
    static func notRegular(_ mode: mode_t) -> String? {
        switch mode & 0o170000 {
        case 0o100000: return nil
        case 0o040000: return nil  // "is a directory", from the read's failure
        case 0o010000: return "a FIFO (named pipe)"
        case 0o020000: return "a character device"
        case 0o060000: return "a block device"
        case 0o140000: return "a socket"
        default: return "not a regular file"
        }
    }

    private static func reason(_ path: String, _ error: any Error) -> String {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if !files.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "is a directory" }
        if !files.isReadableFile(atPath: path) { return "permission denied" }
        return (error as NSError).localizedDescription
    }
}
