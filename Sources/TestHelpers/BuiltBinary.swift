import Foundation

/// The built `sluice` binary and a way to run programs, for the tests that check what an operator
/// runs (the binary's linkage, `--version`, the Debian package, one-shot commands).
package enum BuiltBinary {
    /// The package root, from this file's place in Sources/TestHelpers/.
    package static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Next to the test bundle (whatever the build path), else the default build folder.
    package static func path() throws -> String {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("sluice").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sluice").path,
            packageRoot.appendingPathComponent(".build/debug/sluice").path,
        ]
        guard let binary = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw NotBuilt(candidates: candidates)
        }
        return binary
    }

    /// Runs `executable` to its end; `environment` nil inherits this process's.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes at once, so neither fills up while the other is read.
        let errData = LockedData()
        let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errText = errData.wait()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errText, as: UTF8.self))
    }

    /// No executable `sluice` at any of the places looked at (a failure, not a skip: the tests are
    /// run after `swift build --build-tests`, which builds it).
    package struct NotBuilt: Error, CustomStringConvertible {
        package var candidates: [String]
        package var description: String { "no built sluice binary at \(candidates); run `swift build` first" }
    }

    private final class LockedData: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()
        func set(_ value: Data) {
            data = value
            done.signal()
        }
        func wait() -> Data {
            done.wait()
            return data
        }
    }
}
