import Foundation
import XCTest

@testable import Ops

/// systemd/sluice.service and systemd/sluice-dr-apply.service: `systemd-analyze verify` accepts
/// them, and they agree with the configuration (credential names, shutdown timeout).
final class SystemdUnitTests: ConfigTestCase {
    private let units = ["sluice.service", "sluice-dr-apply.service"]

    private func unitText(_ name: String) throws -> String {
        try String(contentsOf: Self.packageRoot.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
    }

    /// `key=value` lines of a unit (comments and sections left out), in order.
    private func settings(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    private func systemdAnalyze() throws -> String {
        let candidates = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        guard let path = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("systemd-analyze is not installed (apt-get install systemd); units not verified")
        }
        return path
    }

    /// Runs `systemd-analyze verify` on a copy of the unit whose ExecStart points at an existing
    /// executable (the built binary when there is one); returns the exit status and the lines that
    /// mention the unit.
    private func verify(_ text: String, name: String) throws -> (status: Int32, complaints: [String]) {
        let tool = try systemdAnalyze()
        let built = Self.packageRoot.appendingPathComponent(".build/debug/sluice").path
        let binary = FileManager.default.isExecutableFile(atPath: built) ? built : "/bin/true"
        let copy = try write(name, text.replacingOccurrences(of: "/usr/local/bin/sluice", with: binary))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["verify", "--man=no", copy]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        return (process.terminationStatus, lines.filter { $0.contains(name) })
    }

    func testSystemdAnalyzeVerifyPasses() throws {
        for name in units {
            let result = try verify(try unitText(name), name: name)
            XCTAssertEqual(result.status, 0, "\(name): \(result.complaints)")
            XCTAssertEqual(result.complaints, [], name)
        }
    }

    /// The check above is not vacuous: a wrong setting and a missing binary are reported.
    func testSystemdAnalyzeVerifyCatchesMistakes() throws {
        let text = try unitText("sluice.service")
        let typo = try verify(text.replacingOccurrences(of: "Type=notify", with: "Type=notifyy"), name: "typo.service")
        XCTAssertTrue(typo.complaints.contains { $0.contains("Failed to parse service type") }, "\(typo.complaints)")
        let missing = try verify(
            text.replacingOccurrences(of: "ExecStart=/usr/local/bin/sluice", with: "ExecStart=/nonexistent/sluice"),
            name: "missing.service")
        XCTAssertNotEqual(missing.status, 0)
    }

    func testUnitsMatchTheConfiguration() throws {
        let example = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("config/sluice.example.toml"), encoding: .utf8)
        let regex = try NSRegularExpression(pattern: "password_credential = \"([a-z]+-password)\"")
        let credentials = Set(
            regex.matches(in: example, range: NSRange(example.startIndex..., in: example)).compactMap {
                Range($0.range(at: 1), in: example).map { String(example[$0]) }
            })
        XCTAssertEqual(credentials, ["source-password", "redis-password", "kafka-password"])

        guard
            case .success(let loaded) = SluiceConfig.parse(
                ConfigTestCase.minimal, file: "t.toml", directory: ".", environment: [:])
        else { return XCTFail("minimal config did not parse") }
        let shutdownSeconds = loaded.config.daemon.shutdownTimeoutMS / 1000

        for name in units {
            let unit = settings(try unitText(name))
            let value = { (key: String) in unit.filter { $0.key == key }.map(\.value) }
            XCTAssertEqual(value("Type"), ["notify"], name)
            XCTAssertEqual(value("NotifyAccess"), ["main"], name)
            XCTAssertEqual(value("WatchdogSec"), ["30s"], name)
            XCTAssertEqual(value("Restart"), ["on-failure"], name)
            // 2: configuration error; 3 (sluice run): refused by the startup checks. Never restarted.
            XCTAssertEqual(value("RestartPreventExitStatus"), [name == "sluice.service" ? "2 3" : "2"], name)
            XCTAssertEqual(value("ExecReload"), ["/bin/kill -HUP $MAINPID"], name)
            XCTAssertEqual(value("CapabilityBoundingSet"), [""], name)
            XCTAssertEqual(value("TimeoutStopSec"), ["\(shutdownSeconds + 5)s"], "\(name): shutdown timeout + 5 s")
            for key in ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "DynamicUser"] {
                XCTAssertEqual(value(key), ["yes"], "\(name) \(key)")
            }
            XCTAssertEqual(value("ProtectSystem"), ["strict"], name)
            let loadedNames = Set(
                value("LoadCredential").compactMap { $0.split(separator: ":").first.map(String.init) })
            XCTAssertTrue(loadedNames.isSubset(of: credentials), "\(name) loads unknown credentials \(loadedNames)")
            XCTAssertTrue(loadedNames.isSuperset(of: ["redis-password", "kafka-password"]), name)
        }
        XCTAssertTrue(
            settings(try unitText("sluice.service")).contains {
                $0 == ("ExecStart", "/usr/local/bin/sluice run --config /etc/sluice/sluice.toml")
            })
    }
}
