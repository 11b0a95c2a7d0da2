import Foundation
import TestHelpers
import XCTest

@testable import Ops

/// What a production host needs (docs: README "Install from the Debian package"): the binary links
/// no Swift toolchain library and finds the tested librdkafka through its own RUNPATH, `--version`
/// names the C libraries actually loaded, an older librdkafka is refused, and the package of
/// scripts/build-deb installs and runs with the toolchain and .deps hidden.
final class DeployableBinaryTests: XCTestCase {
    private let root = ConfigTestCase.packageRoot

    /// The environment of a host without the test setup: no LD_LIBRARY_PATH pointing into .deps.
    private var plainEnvironment: [String: String] {
        ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    }

    func testBinaryLinksNoToolchainLibrary() throws {
        let binary = try BuiltBinary.path()
        let result = try BuiltBinary.run("/usr/bin/readelf", ["-d", binary])
        XCTAssertEqual(result.status, 0, result.err)
        func entries(_ tag: String) -> [String] {
            result.out.split(separator: "\n").filter { $0.contains("(\(tag))") }.compactMap { line in
                guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
                return String(line[line.index(after: open)..<close])
            }
        }
        let needed = entries("NEEDED")
        XCTAssertTrue(needed.contains("librdkafka.so.1"), "\(needed)")
        let runtime = needed.filter {
            ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "lib_Foundation"].contains(where: $0.hasPrefix)
        }
        XCTAssertEqual(runtime, [], "the Swift runtime must be linked statically (Package.swift)")
        XCTAssertEqual(entries("RPATH"), [])
        XCTAssertEqual(entries("RUNPATH").flatMap { $0.split(separator: ":").map(String.init) }, ["$ORIGIN", "$ORIGIN/../lib/sluice"])
        XCTAssertFalse(result.out.contains("/opt/swift"), result.out)
    }

    /// Run as the tests run (LD_LIBRARY_PATH=.deps/lib): the tested librdkafka; run plainly, the
    /// debug build has no /usr/lib/sluice beside it and loads Debian's 2.0.2, which `dr-apply` and
    /// `run` refuse before connecting anything (exit 2: restarting cannot help).
    func testVersionNamesLoadedLibrariesAndOldLibrdkafkaIsRefused() throws {
        let binary = try BuiltBinary.path()
        let deps = root.appendingPathComponent(".deps/lib").path
        var tested = plainEnvironment
        tested["LD_LIBRARY_PATH"] = deps
        var result = try BuiltBinary.run(binary, ["--version"], environment: tested)
        XCTAssertEqual(result.status, 0, result.err)
        let lines = result.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "sluice \(SluiceVersion.current)")
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) }, ["libmariadb", "hiredis", "librdkafka"])
        XCTAssertTrue(lines.contains { $0.hasPrefix("libmariadb 3.") && $0.hasSuffix("/libmariadb.so.3)") }, result.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("hiredis 0.14 (/") }, result.out)
        let kafka = try XCTUnwrap(lines.last)
        XCTAssertTrue(kafka.hasPrefix("librdkafka 2.16") && kafka.contains("/.deps/"), kafka)

        let system = "/usr/lib/x86_64-linux-gnu/librdkafka.so.1"
        guard FileManager.default.fileExists(atPath: system) else {
            throw XCTSkip("Debian's librdkafka1 is not installed; the refusal is not exercised")
        }
        result = try BuiltBinary.run(binary, ["--version"], environment: plainEnvironment)
        XCTAssertTrue(result.out.contains("librdkafka 2.0.2 (\(system))"), result.out)
        let config = root.appendingPathComponent("config/sluice.example.toml").path
        for command in ["dr-apply", "run"] {
            result = try BuiltBinary.run(binary, [command, "--config", config], environment: plainEnvironment)
            XCTAssertEqual(result.status, 2, command + ": " + result.err)
            XCTAssertTrue(
                result.err.hasPrefix(
                    "sluice: error: librdkafka 2.0.2 is loaded (\(system)), older than 2.16.0, the oldest version "
                        + "sluice is tested with; refusing to start."), result.err)
        }
    }

    /// scripts/build-deb packages the debug build (no second build); the package is unpacked and
    /// laid over /usr in a private mount namespace where /opt/swift and .deps are empty, and the
    /// installed binary, config check and `systemd-analyze verify` of both units pass there.
    func testDebianPackageRunsWithoutToolchain() throws {
        let tools = ["/usr/bin/unshare", "/usr/bin/dpkg-deb", "/usr/bin/systemd-analyze", "/usr/bin/readelf"]
        for tool in tools where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is not installed")
        }
        guard getuid() == 0 else { throw XCTSkip("the mount namespace needs root") }
        guard FileManager.default.isExecutableFile(atPath: root.appendingPathComponent(".build/debug/sluice").path)
        else { throw XCTSkip("no .build/debug/sluice to package") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-deb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }

        let script = root.appendingPathComponent("scripts/build-deb").path
        var result = try BuiltBinary.run(
            script, ["--configuration", "debug", "--no-build", "--output", work.path, "--compression", "none"])
        XCTAssertEqual(result.status, 0, result.err)
        let deb = work.appendingPathComponent("sluice_\(SluiceVersion.current)_amd64.deb").path
        XCTAssertEqual(result.out, deb + "\n")

        result = try BuiltBinary.run("/usr/bin/dpkg-deb", ["--contents", deb])
        for path in [
            "./usr/bin/sluice", "./usr/lib/sluice/librdkafka.so.1", "./lib/systemd/system/sluice.service",
            "./lib/systemd/system/sluice-dr-apply.service", "./etc/sluice/sluice.toml", "./etc/sluice/dr-apply.toml",
            "./etc/sluice/credentials/", "./usr/share/sluice/sluice-alerts.yml", "./usr/share/sluice/sluice-dashboard.json",
            "./usr/share/man/man1/sluice.1.gz", "./usr/share/doc/sluice/docs/metrics.md",
        ] {
            XCTAssertTrue(result.out.contains(" \(path)"), "\(path) not in the package:\n\(result.out)")
        }
        result = try BuiltBinary.run("/usr/bin/dpkg-deb", ["--field", deb, "Depends", "Conffiles"])
        XCTAssertTrue(result.out.contains("libmariadb3") && result.out.contains("libhiredis0.14"), result.out)
        result = try BuiltBinary.run("/usr/bin/dpkg-deb", ["--ctrl-tarfile", deb])
        XCTAssertEqual(result.status, 0)

        let unpacked = work.appendingPathComponent("root").path
        result = try BuiltBinary.run("/usr/bin/dpkg-deb", ["--extract", deb, unpacked])
        XCTAssertEqual(result.status, 0, result.err)
        let deps = root.appendingPathComponent(".deps").resolvingSymlinksInPath().path
        let installed = """
            set -e
            [ -d /opt/swift ] && mount -t tmpfs tmpfs /opt/swift
            mount -t tmpfs tmpfs '\(deps)'
            mount -t overlay overlay -o 'lowerdir=\(unpacked)/usr/bin:/usr/bin' /usr/bin
            mount -t overlay overlay -o 'lowerdir=\(unpacked)/usr/lib:/usr/lib' /usr/lib
            echo "hidden: $(find /opt/swift '\(deps)' -mindepth 1 2>/dev/null | wc -l) files"
            /usr/bin/sluice --version
            /usr/bin/sluice config check '\(unpacked)/etc/sluice/sluice.toml' > /dev/null
            systemd-analyze verify --man=no '\(unpacked)/lib/systemd/system/sluice.service' \
                '\(unpacked)/lib/systemd/system/sluice-dr-apply.service'
            echo verified
            """
        result = try BuiltBinary.run("/usr/bin/unshare", ["--mount", "/bin/sh", "-c", installed], environment: plainEnvironment)
        XCTAssertEqual(result.status, 0, result.out + result.err)
        let lines = result.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "hidden: 0 files", result.out)
        XCTAssertTrue(lines.contains("sluice \(SluiceVersion.current)"), result.out)
        XCTAssertTrue(
            lines.contains { $0.hasPrefix("librdkafka 2.16") && $0.contains("(/usr/lib/sluice/librdkafka") }, result.out)
        XCTAssertEqual(lines.last, "verified", result.out + result.err)
    }
}
