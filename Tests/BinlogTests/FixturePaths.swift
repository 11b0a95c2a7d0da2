import Foundation
import XCTest

/// Locates test data: the shared third-party binlog files (never copied into the repo) and the
/// byte fixtures captured from MariaDB under Tests/BinlogTests/Fixtures.
enum FixturePaths {
    /// Package root, from this file's place in Tests/BinlogTests/.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/fixtures/binlog` from the package root (also tried one level further up, for git
    /// worktrees nested one folder deeper), or `SLUICE_BINLOG_FIXTURES`.
    static func sharedBinlogDir() throws -> URL {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["SLUICE_BINLOG_FIXTURES"] {
            candidates.append(URL(fileURLWithPath: env))
        }
        let parent = packageRoot.deletingLastPathComponent()
        candidates.append(parent.appendingPathComponent("shared/fixtures/binlog"))
        candidates.append(parent.deletingLastPathComponent().appendingPathComponent("shared/fixtures/binlog"))
        for c in candidates where FileManager.default.fileExists(atPath: c.appendingPathComponent("README.md").path) {
            return c
        }
        throw XCTSkip("shared binlog fixtures not found at ../shared/fixtures/binlog (from \(packageRoot.path)); "
                      + "set SLUICE_BINLOG_FIXTURES to their folder")
    }

    static var capturedDir: URL { packageRoot.appendingPathComponent("Tests/BinlogTests/Fixtures") }
}
