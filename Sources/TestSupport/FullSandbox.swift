import Foundation

/// Everything sluice talks to, started together in one sandbox folder: MariaDB, the primary
/// Redis Cluster (3 masters + 3 replicas), the DR Redis Cluster (3 masters) and a Tansu broker.
/// The four start concurrently; `startupSeconds` says how long the slowest took.
package final class FullSandbox: @unchecked Sendable {
    package let folder: SandboxFolder
    package let mariadb: MariaDBServer
    package let primary: RedisClusterSandbox
    package let dr: RedisClusterSandbox
    package let kafka: TansuBroker
    package let startupSeconds: Double
    /// How long each service took to answer, started side by side: mariadb, primary, dr, kafka.
    package let serviceSeconds: [String: Double]

    package init(parent: String? = nil, timeout: Double = 15) throws(SandboxError) {
        let started = Date()
        let folder = try SandboxFolder(label: "full", parent: parent)
        let ports = PortAllocator()
        let mariadb = Slot { () throws(SandboxError) in try MariaDBServer(in: folder, ports: ports, timeout: timeout) }
        let primary = Slot { () throws(SandboxError) in
            try RedisClusterSandbox(
                in: folder, ports: ports, name: "redis-primary", masters: 3, replicasPerMaster: 1, timeout: timeout)
        }
        let dr = Slot { () throws(SandboxError) in
            try RedisClusterSandbox(in: folder, ports: ports, name: "redis-dr", masters: 3, timeout: timeout)
        }
        let kafka = Slot { () throws(SandboxError) in try TansuBroker(in: folder, ports: ports, timeout: timeout) }
        let group = DispatchGroup()
        for slot in [mariadb.run, primary.run, dr.run, kafka.run] {
            group.enter()
            Thread {
                slot()
                group.leave()
            }.start()
        }
        group.wait()
        do {
            self.mariadb = try mariadb.value()
            self.primary = try primary.value()
            self.dr = try dr.value()
            self.kafka = try kafka.value()
        } catch {
            folder.close()
            throw error
        }
        self.folder = folder
        serviceSeconds = [
            "mariadb": mariadb.seconds, "primary": primary.seconds, "dr": dr.seconds, "kafka": kafka.seconds,
        ]
        startupSeconds = Date().timeIntervalSince(started)
    }

    deinit {
        folder.close()
    }

    /// One line for people: what runs where, and how long it took to start.
    package var summary: String {
        func took(_ name: String) -> String { String(format: "%4.1f s", serviceSeconds[name] ?? 0) }
        return """
            sandbox started in \(String(format: "%.1f", startupSeconds)) s under \(folder.path)
              MariaDB        \(took("mariadb"))  127.0.0.1:\(mariadb.port) (root, no password; socket \(mariadb.socketPath))
              Redis primary  \(took("primary"))  \(primary.addresses.joined(separator: " "))
              Redis DR       \(took("dr"))  \(dr.addresses.joined(separator: " "))
              Kafka (Tansu)  \(took("kafka"))  \(kafka.bootstrapServers)
            """
    }

    /// PIDs of every server process still running in the sandbox.
    package var pids: [Int32] { folder.pids }

    /// Stops every server and removes the sandbox folder.
    package func close() {
        folder.close()
    }
}

/// The result of starting one service on another thread.
private final class Slot<T>: @unchecked Sendable {
    private let lock = NSLock()
    private let body: () throws(SandboxError) -> T
    private var result: Result<T, SandboxError>?
    private var duration: Double = 0

    init(_ body: @escaping () throws(SandboxError) -> T) {
        self.body = body
    }

    var run: @Sendable () -> Void {
        { [self] in
            let started = Date()
            let outcome: Result<T, SandboxError>
            do throws(SandboxError) {
                outcome = .success(try body())
            } catch {
                outcome = .failure(error)
            }
            lock.lock()
            result = outcome
            duration = Date().timeIntervalSince(started)
            lock.unlock()
        }
    }

    var seconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return duration
    }

    func value() throws(SandboxError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let result else {
            throw SandboxError(.notReady, service: "sandbox", message: "a service start did not finish")
        }
        return try result.get()
    }
}
