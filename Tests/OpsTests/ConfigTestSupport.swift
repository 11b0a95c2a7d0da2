import Foundation
import TestHelpers
import XCTest

@testable import Ops

/// A temporary folder for configuration files and secrets, removed in tearDown.
class ConfigTestCase: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A minimal valid configuration to which each test adds its lines.
    static let minimal = """
        [source]
        user = "repl"
        server_id = 7

        [redis.primary]
        seeds = ["127.0.0.1:7000"]

        """

    /// Loads `text` saved as sluice.toml in the temporary folder; errors as their printed lines,
    /// with the folder prefix removed.
    func load(_ text: String, environment: [String: String] = [:]) throws -> (SluiceConfig.Loaded?, [String]) {
        let path = try write("sluice.toml", text)
        switch SluiceConfig.load(path: path, environment: environment) {
        case .success(let loaded): return (loaded, [])
        case .failure(let errors):
            return (
                nil,
                errors.errors.map {
                    $0.description.replacingOccurrences(of: self.folder + "/sluice.toml", with: "sluice.toml")
                }
            )
        }
    }

    func errors(
        _ text: String, environment: [String: String] = [:], file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> [String] {
        let (loaded, errors) = try load(text, environment: environment)
        if let loaded {
            XCTFail("expected errors, got a valid configuration:\n\(loaded.effective)", file: file, line: line)
        }
        return errors
    }

    func valid(
        _ text: String, environment: [String: String] = [:], file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> SluiceConfig.Loaded {
        let (loaded, errors) = try load(text, environment: environment)
        guard let loaded else {
            XCTFail("unexpected errors:\n" + errors.joined(separator: "\n"), file: file, line: line)
            throw ConfigErrors([])
        }
        return loaded
    }

    /// The package root (`BuiltBinary.packageRoot`).
    static var packageRoot: URL { BuiltBinary.packageRoot }
}
