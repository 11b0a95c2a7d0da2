import Foundation

/// Reads whole small files (the configuration, secret files) and explains failures in plain words.
enum FileReading {
    struct Failure: Error, Equatable {
        let reason: String
    }

    static func read(_ path: String) throws(Failure) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(reason: reason(path, error))
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
