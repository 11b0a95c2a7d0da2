import Foundation

/// One node of a sandbox Redis Cluster as CLUSTER NODES describes it.
package struct RedisNodeInfo: Sendable, Equatable {
    package enum Role: String, Sendable, Equatable { case master, replica }
    package let port: Int
    package let id: String
    package let role: Role
    /// For a replica, the node ID of its master.
    package let masterID: String?
    /// Flags such as "fail", "fail?", "handshake", "noaddr" (besides myself/master/slave).
    package let flags: [String]

    package init(port: Int, id: String, role: Role, masterID: String?, flags: [String]) {
        self.port = port
        self.id = id
        self.role = role
        self.masterID = masterID
        self.flags = flags
    }
}

/// A Redis Cluster made of plain `redis-server` processes on loopback, created with
/// `redis-cli --cluster create`. Ready once every node reports `cluster_state:ok`, knows all
/// nodes, and sees the expected number of masters and replicas.
package final class RedisClusterSandbox: @unchecked Sendable {
    package static let service = "redis"

    package let name: String
    package let folder: String
    /// Every node's port, in creation order: the first `masterCount` were created as masters.
    package let ports: [Int]
    package let masterCount: Int
    package let replicasPerMaster: Int
    private let sandbox: SandboxFolder
    private let server: String
    private let cli: String
    private let nodeTimeoutMilliseconds: Int
    private let lock = NSLock()
    private var processes: [Int: ChildProcess] = [:]

    /// Starts `masters * (1 + replicasPerMaster)` nodes, creates the cluster and waits for it.
    /// `timeout` bounds each phase (nodes answering, cluster creation, cluster ok).
    package init(
        in sandbox: SandboxFolder, ports allocator: PortAllocator, name: String, masters: Int = 3,
        replicasPerMaster: Int = 0, nodeTimeoutMilliseconds: Int = 3000, timeout: Double = 15
    ) throws(SandboxError) {
        self.sandbox = sandbox
        self.name = name
        self.masterCount = masters
        self.replicasPerMaster = replicasPerMaster
        self.nodeTimeoutMilliseconds = nodeTimeoutMilliseconds
        server = try Executables.find("redis-server", service: Self.service)
        cli = try Executables.find("redis-cli", service: Self.service)
        folder = try sandbox.subfolder(name)
        var ports: [Int] = []
        for _ in 0..<(masters * (1 + replicasPerMaster)) {
            ports.append(try allocator.pick(alsoFree: [10000]))
        }
        self.ports = ports
        for port in ports { try launch(port) }
        for port in ports { try waitForPong(port, timeout: timeout) }
        try create(timeout: max(timeout, 30))
        for port in ports { try waitForClusterOK(port, timeout: timeout, wholeCluster: true) }
    }

    /// "127.0.0.1:port" of every node.
    package var addresses: [String] { ports.map { "127.0.0.1:\($0)" } }

    /// PIDs of the running nodes, by port.
    package var pids: [Int: Int32] {
        lock.lock()
        defer { lock.unlock() }
        return processes.mapValues(\.pid)
    }

    package func logPath(_ port: Int) -> String { "\(folder)/\(port)/redis.log" }

    /// The cluster as a live node sees it now (roles change after a failover).
    package func topology() throws(SandboxError) -> [RedisNodeInfo] {
        var lastError = SandboxError(.notReady, service: Self.service, message: "\(name): no node answers")
        for port in ports where isRunning(port) {
            do {
                let output = try command(port, ["CLUSTER", "NODES"])
                return Self.parseClusterNodes(output)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Ports of the current masters and replicas, as a live node sees them.
    package func masterPorts() throws(SandboxError) -> [Int] {
        try topology().filter { $0.role == .master && !$0.flags.contains("fail") }.map(\.port).sorted()
    }

    package func replicaPorts() throws(SandboxError) -> [Int] {
        try topology().filter { $0.role == .replica }.map(\.port).sorted()
    }

    /// Stops one node cleanly (SIGTERM, SIGKILL after `grace` s).
    package func stopNode(_ port: Int, grace: Double = 5) {
        guard let child = take(port) else { return }
        sandbox.stop(child, grace: grace)
    }

    /// Kills one node with SIGKILL.
    package func crashNode(_ port: Int) {
        guard let child = take(port) else { return }
        child.kill9()
        sandbox.forget(child)
    }

    /// Starts a stopped node again with its saved cluster configuration; returns once it answers
    /// and reports `cluster_state:ok`.
    package func restartNode(_ port: Int, timeout: Double = 15) throws(SandboxError) {
        stopNode(port)
        try launch(port)
        try waitForPong(port, timeout: timeout)
        try waitForClusterOK(port, timeout: timeout, wholeCluster: false)
    }

    package func isRunning(_ port: Int) -> Bool {
        lock.lock()
        let child = processes[port]
        lock.unlock()
        return child?.isRunning ?? false
    }

    /// Stops every node of this cluster.
    package func stop() {
        for port in ports { stopNode(port) }
    }

    /// Runs one command through `redis-cli` against a node and returns its raw output.
    package func command(_ port: Int, _ arguments: [String], timeout: Double = 10) throws(SandboxError) -> String {
        let out = "\(folder)/cli-\(port)-\(UInt64.random(in: 0...UInt64.max)).out"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try sandbox.run(
            service: Self.service, executable: cli, arguments: ["-h", "127.0.0.1", "-p", String(port)] + arguments,
            workingDirectory: folder, logPath: out, timeout: timeout)
        guard result.status == 0 else {
            throw SandboxError(
                .commandFailed, service: Self.service,
                message: "redis-cli -p \(port) \(arguments.joined(separator: " ")) exited with \(result.status)",
                logTail: result.output)
        }
        return result.output
    }

    /// Parses CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master|-> <ping> <pong> <epoch> <link> <slots...>`.
    package static func parseClusterNodes(_ text: String) -> [RedisNodeInfo] {
        text.split(separator: "\n").compactMap { line -> RedisNodeInfo? in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8 else { return nil }
            let address = fields[1].split(separator: "@").first.map(String.init) ?? ""
            guard let port = address.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
            let flags = fields[2].split(separator: ",").map(String.init)
            let role: RedisNodeInfo.Role = flags.contains("slave") ? .replica : .master
            return RedisNodeInfo(
                port: port, id: fields[0], role: role, masterID: fields[3] == "-" ? nil : fields[3],
                flags: flags.filter { !["myself", "master", "slave"].contains($0) })
        }
    }

    private func take(_ port: Int) -> ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return processes.removeValue(forKey: port)
    }

    private func launch(_ port: Int) throws(SandboxError) {
        let nodeFolder = try sandbox.subfolder("\(name)/\(port)")
        let arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", nodeFolder, "--daemonize", "no",
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", String(nodeTimeoutMilliseconds), "--save", "", "--appendonly", "no",
            "--logfile", "",
        ]
        let child = try sandbox.start(
            service: "\(Self.service) \(name):\(port)", executable: server, arguments: arguments,
            workingDirectory: nodeFolder, logPath: logPath(port))
        lock.lock()
        processes[port] = child
        lock.unlock()
    }

    private func process(_ port: Int) -> ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return processes[port]
    }

    private func waitForPong(_ port: Int, timeout: Double) throws(SandboxError) {
        _ = try Readiness.wait(
            service: "\(Self.service) \(name):\(port)", timeout: timeout, logPath: logPath(port),
            process: process(port)
        ) { () throws -> Bool? in
            guard PortAllocator.accepts(port) else { return nil }
            return try command(port, ["PING"]).hasPrefix("PONG") ? true : nil
        }
    }

    private func create(timeout: Double) throws(SandboxError) {
        let log = "\(folder)/cluster-create.log"
        let result = try sandbox.run(
            service: Self.service, executable: cli,
            arguments: ["--cluster", "create"] + addresses + [
                "--cluster-replicas", String(replicasPerMaster), "--cluster-yes",
            ],
            workingDirectory: folder, logPath: log, timeout: timeout)
        guard result.status == 0 else {
            throw SandboxError(
                .commandFailed, service: "\(Self.service) \(name)",
                message: "redis-cli --cluster create exited with \(result.status)", logTail: LogFile.tail(log))
        }
    }

    /// CLUSTER INFO says ok; with `wholeCluster`, the node also knows every node and sees the
    /// expected masters and replicas, none failing or still in handshake.
    private func waitForClusterOK(_ port: Int, timeout: Double, wholeCluster: Bool) throws(SandboxError) {
        _ = try Readiness.wait(
            service: "\(Self.service) \(name):\(port)", timeout: timeout, logPath: logPath(port),
            process: process(port), interval: 0.1
        ) { () throws -> Bool? in
            let info = try command(port, ["CLUSTER", "INFO"])
            guard info.contains("cluster_state:ok") else {
                throw SandboxError(.notReady, service: Self.service, message: "CLUSTER INFO: \(info)")
            }
            guard wholeCluster else { return true }
            let nodes = Self.parseClusterNodes(try command(port, ["CLUSTER", "NODES"]))
            let masters = nodes.filter { $0.role == .master }.count
            let replicas = nodes.filter { $0.role == .replica }.count
            let troubled = nodes.filter { !$0.flags.isEmpty }
            guard masters == masterCount, replicas == masterCount * replicasPerMaster, troubled.isEmpty else {
                throw SandboxError(
                    .notReady, service: Self.service,
                    message: "sees \(masters) masters, \(replicas) replicas, \(troubled.count) nodes flagged")
            }
            return true
        }
    }
}
