import Foundation

/// Finding the server programs: `$PATH`, then the system folders Debian installs them in.
package enum Executables {
    package static func find(_ name: String, service: String, extraCandidates: [String] = []) throws(SandboxError)
        -> String
    {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        let candidates = extraCandidates + folders.map { "\($0)/\(name)" }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw SandboxError(
            .executableNotFound, service: service,
            message: "\(name) not found (looked in \(candidates.joined(separator: ", "))); run scripts/install-deps")
    }
}
