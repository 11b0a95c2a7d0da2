import Foundation

/// A freshly installed MariaDB data folder (`mariadb-install-db`), made once per server version
/// and copied for each sandbox server. It lives in `parent` (the system temporary folder by
/// default) under a name holding the server version, and appears there atomically (installed in a
/// scratch folder, then renamed), so concurrent test processes share it safely.
package struct MariaDBTemplateCache: Sendable {
    package let parent: String

    package init(parent: String? = nil) {
        self.parent = parent ?? FileManager.default.temporaryDirectory.path
    }

    /// The template's data folder, installing it first if needed.
    package func dataDirectory(mariadbd: String) throws(SandboxError) -> String {
        let service = MariaDBServer.service
        let versionText = try mariadbdVersion(mariadbd)
        let tag =
            versionText.split(whereSeparator: \.isWhitespace).first { $0.contains("MariaDB") }
            .map { String($0).filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" } } ?? "unknown"
        let final = "\(parent)/sluice-mariadb-template-\(tag)"
        let data = final + "/data"
        if FileManager.default.fileExists(atPath: data + "/mysql") { return data }

        let scratch = try SandboxFolder(label: "mariadb-template", parent: parent)
        let log = scratch.path + "/install.log"
        let installer = try Executables.find("mariadb-install-db", service: service)
        let result = try scratch.run(
            service: service, executable: installer,
            arguments: [
                "--no-defaults", "--datadir=\(scratch.path)/data", "--user=root",
                "--auth-root-authentication-method=normal", "--skip-test-db", "--innodb-log-file-size=16M",
            ],
            workingDirectory: try scratch.subfolder("install"), logPath: log, timeout: 60)
        guard result.status == 0 else {
            throw SandboxError(
                .commandFailed, service: service, message: "mariadb-install-db exited with \(result.status)",
                logTail: LogFile.tail(log))
        }
        let staged = "\(parent)/sluice-mariadb-template-\(tag).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: false)
            try FileManager.default.moveItem(atPath: scratch.path + "/data", toPath: staged + "/data")
        } catch {
            throw SandboxError(.fileSystem, service: service, message: "staging the MariaDB template: \(error)")
        }
        // rename(2) onto a missing name is atomic; if another process won the race, use theirs.
        if rename(staged, final) != 0 {
            try? FileManager.default.removeItem(atPath: staged)
        }
        guard FileManager.default.fileExists(atPath: data + "/mysql") else {
            throw SandboxError(.fileSystem, service: service, message: "no MariaDB template at \(data)")
        }
        return data
    }

    /// `mariadbd --version`, e.g. "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu ...".
    private func mariadbdVersion(_ mariadbd: String) throws(SandboxError) -> String {
        let log = "\(parent)/sluice-mariadbd-version-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let result = try ChildProcess.run(
            executable: mariadbd, arguments: ["--version"], workingDirectory: "/", logPath: log, timeout: 15,
            service: MariaDBServer.service)
        guard result.status == 0 else {
            throw SandboxError(
                .commandFailed, service: MariaDBServer.service,
                message: "mariadbd --version exited with \(result.status)",
                logTail: result.output)
        }
        return result.output
    }
}
