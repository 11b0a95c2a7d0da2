import Foundation
import RedisCluster

/// Test-only launcher: a Redis Cluster of plain redis-server processes on loopback, started by
/// PID and stopped by PID. To be replaced by the shared TestSupport starter once it lands.
final class LocalRedisCluster {
    let dir: String
    let ports: [Int]
    private var processes: [Int: Process] = [:]

    var seeds: [RedisEndpoint] { ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) } }

    /// Starts `masters` masters (+ `replicasPerMaster` each) on ports from a per-process base.
    init(masters: Int = 3, replicasPerMaster: Int = 0, name: String = #function) throws {
        let total = masters * (1 + replicasPerMaster)
        let base = 30000 + Int(getpid() % 500) * 20 + Int.random(in: 0..<2) * 10
        ports = (0..<total).map { base + $0 }
        dir = NSTemporaryDirectory() + "sluice-redis-\(getpid())-\(base)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for p in ports { try start(port: p) }
        for p in ports { try waitUntilPinging(port: p) }
        let (status, out) = try run("/usr/bin/redis-cli", ["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" }
            + ["--cluster-replicas", String(replicasPerMaster), "--cluster-yes"])
        guard status == 0 else { throw LaunchError(message: "cluster create failed: \(out)") }
        try waitForClusterOK()
    }

    func start(port: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                       "--cluster-config-file", "\(dir)/nodes-\(port).conf", "--cluster-node-timeout", "2000",
                       "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", "\(dir)/\(port).log",
                       "--daemonize", "no"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        processes[port] = p
    }

    /// SIGKILL one node and reap it.
    func kill(port: Int) {
        guard let p = processes[port] else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        processes[port] = nil
    }

    func stopAll() {
        for (_, p) in processes where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        processes = [:]
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stopAll() }

    func cli(_ args: [String]) throws -> String {
        let (status, out) = try run("/usr/bin/redis-cli", args)
        guard status == 0 else { throw LaunchError(message: "redis-cli \(args) failed: \(out)") }
        return out
    }

    func waitUntilPinging(port: Int, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let (s, out) = try? run("/usr/bin/redis-cli", ["-p", String(port), "PING"]), s == 0, out.contains("PONG") { return }
            usleep(50_000)
        }
        throw LaunchError(message: "redis-server on \(port) did not answer PING")
    }

    func waitForClusterOK(timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let ok = processes.keys.allSatisfy { p in
                ((try? cli(["-p", String(p), "CLUSTER", "INFO"])) ?? "").contains("cluster_state:ok")
            }
            if ok { return }
            usleep(100_000)
        }
        throw LaunchError(message: "cluster did not reach cluster_state:ok")
    }

    func nodeID(port: Int) throws -> String {
        try cli(["-p", String(port), "CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func run(_ exe: String, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct LaunchError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
