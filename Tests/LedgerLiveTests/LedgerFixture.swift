import Foundation
import MySQLSource
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Ledger

#if canImport(Glibc)
    import Glibc
#endif

/// Two MariaDB shards and a Redis Cluster from TestSupport, a configuration file for them, the
/// schema, and `accounts` accounts holding `balance` minor units each.
final class LedgerFixture: @unchecked Sendable {
    let sandbox: SandboxFolder
    let shards: [MariaDBServer]
    let redis: RedisClusterSandbox
    let configPath: String
    let config: LedgerConfig
    let accounts: Int
    let balance: Int64
    let httpPort: Int

    /// `ledgerExtra`: more `[ledger]` keys (e.g. `one_phase_single_shard = true`).
    init(label: String, accounts: Int = 20, balance: Int64 = 100_000, ledgerExtra: String = "") throws {
        sandbox = try SandboxFolder(label: label)
        do {
            let ports = PortAllocator()
            shards = [
                try MariaDBServer(in: sandbox, ports: ports, serverID: 1, name: "shard0"),
                try MariaDBServer(in: sandbox, ports: ports, serverID: 2, name: "shard1"),
            ]
            redis = try RedisClusterSandbox(in: sandbox, ports: ports, name: "primary", masters: 3)
            httpPort = try ports.pick()
            configPath = sandbox.path + "/sluice.toml"
            let text = """
                [redis.primary]
                seeds = [\(redis.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
                [log]
                level = "info"
                [ledger]
                journal_dir = "\(sandbox.path)/journal"
                listen = "127.0.0.1:\(httpPort)"
                redis_cluster = "primary"
                request_timeout_ms = 20000
                \(ledgerExtra)
                \(shards.map { "[[ledger.shard]]\nhost = \"127.0.0.1\"\nport = \($0.port)\nuser = \"root\"\n" }.joined())
                """
            try text.write(toFile: configPath, atomically: true, encoding: .utf8)
            switch SluiceConfig.load(path: configPath, environment: [:]) {
            case .success(let loaded):
                guard let ledger = loaded.config.ledger else { throw XCTSkip("no [ledger] in \(configPath)") }
                config = ledger
            case .failure(let errors): throw errors
            }
            self.accounts = accounts
            self.balance = balance
            _ = try LedgerRuntime.initialize(
                config: config, seedAccounts: accounts, seedBalance: Amount(minorUnits: balance, scale: 2),
                currency: "EUR")
        } catch {
            sandbox.close()
            throw error
        }
    }

    func close() { sandbox.close() }

    var redisSeeds: [RedisEndpoint] { redis.ports.map { RedisEndpoint(host: "127.0.0.1", port: $0) } }

    func redisClient() throws -> RedisClusterClient { try RedisClusterClient(topology: .cluster(seeds: redisSeeds)) }

    /// An in-process service over the fixture's journal (only one may be open at a time).
    func service(
        logger: Logger = Logger(level: .warning, format: .text, sink: { _ in }), metrics: LedgerMetrics? = nil
    ) throws -> LedgerService {
        let seeds = redisSeeds
        return try LedgerRuntime.service(
            config: config,
            redis: { () throws(RedisError) in try RedisClusterClient(topology: .cluster(seeds: seeds)) },
            metrics: metrics, logger: logger)
    }

    // MARK: - Checks

    func query(shard: Int, _ sql: String) throws -> MySQLRows {
        try shards[shard].connect(database: "ledger").query(sql)
    }

    /// Every account's (balance, version), from the shards.
    func balances() throws -> [Int64: (balance: Int64, version: UInt64)] {
        var out: [Int64: (Int64, UInt64)] = [:]
        for shard in shards.indices {
            for a in ShardBranch.accountStates(try query(shard: shard, "SELECT * FROM accounts")) {
                out[a.id] = (a.balanceMinor, a.version)
            }
        }
        return out
    }

    func inDoubt() throws -> [String] {
        try shards.indices.flatMap {
            try query(shard: $0, "XA RECOVER").rows.map { $0.compactMap { $0 }.joined(separator: " ") }
        }
    }

    /// Transfer ids of every entry on every shard.
    func entryIDs() throws -> Set<String> {
        Set(
            try shards.indices.flatMap {
                try query(shard: $0, "SELECT transfer_id FROM entries").rows.compactMap { $0[0] }
            })
    }

    /// Transfer ids of the journal's decisions, less those recorded as aborted (one-phase).
    func journalDecisions() throws -> Set<String> {
        let records = try Journal.read(directory: config.journalDirectory).records
        let aborted = Set(
            records.compactMap {
                if case .aborted(let id) = $0.body { return id }
                return nil
            })
        return Set(
            records.compactMap {
                if case .decision(let d) = $0.body { return d.transferID }
                return nil
            }
        ).subtracting(aborted)
    }

    /// The invariants that hold after any crash and recovery.
    func assertConsistent(_ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try inDoubt(), [], "\(label): XA transactions left in doubt", file: file, line: line)
        let all = try balances()
        XCTAssertEqual(all.count, accounts, label, file: file, line: line)
        XCTAssertEqual(
            all.values.map(\.balance).reduce(0, +), Int64(accounts) * balance, "\(label): total not conserved",
            file: file, line: line)
        XCTAssertEqual(
            all.values.filter { $0.balance < 0 }.count, 0, "\(label): negative balance", file: file, line: line)
        XCTAssertEqual(
            try entryIDs(), try journalDecisions(), "\(label): entries differ from the journal's decisions", file: file,
            line: line)
    }

    /// Redis holds every account a transfer changed as MySQL has it (balance and version); an
    /// account no transfer touched (version 1) is only written by the daemon, not the ledger.
    func assertRedisEqualsMySQL(_ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try redisClient()
        var differ: [String] = []
        for (id, row) in try balances() {
            let reply = try client.send(
                RedisCommand("HMGET", "account:\(id)", "balance", "version"), key: "account:\(id)")
            let fields = reply.arrayStrings
            if row.version == 1, fields == ["", ""] { continue }
            if fields != [String(row.balance), String(row.version)] {
                differ.append("account \(id): redis \(fields) mysql \(row.balance) v\(row.version)")
            }
        }
        XCTAssertEqual(differ, [], "\(label): Redis differs from MySQL", file: file, line: line)
    }

    // MARK: - The built binary

    var binary: String { BuiltBinary.packageRoot.appendingPathComponent(".build/debug/sluice").path }

    func startServe(environment: [String: String] = [:]) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("no built sluice binary at \(binary); run `swift build` first")
        }
        let child = try sandbox.start(
            service: "ledger", executable: binary, arguments: ["ledger", "serve", "--config", configPath],
            workingDirectory: sandbox.path, logPath: sandbox.path + "/ledger.log", environment: environment)
        var healthy = false
        eventually(timeout: 20, interval: 0.05) {
            if let (status, _) = try? HTTPClient.request(port: httpPort, "GET", "/health"), status == 200 {
                healthy = true
            }
            return healthy || !child.isRunning
        }
        if healthy { return child }
        sandbox.stop(child)
        XCTFail("ledger serve did not become healthy: \(logTail())")
        throw XCTSkip("ledger serve did not start")
    }

    /// `sluice run` replicating shard `shard`'s `ledger.accounts` into the fixture's cluster, with
    /// the mapping the ledger's write-through shares (docs/ledger.md).
    func startDaemon(shard: Int) throws -> ChildProcess {
        let path = sandbox.path + "/run-shard\(shard).toml"
        let metricsPort = try PortAllocator().pick()
        try """
        [source]
        host = "127.0.0.1"
        port = \(shards[shard].port)
        user = "root"
        server_id = \(4100 + shard)
        [filter]
        include = ['^ledger\\.accounts$']
        [[mapping]]
        table = "ledger.accounts"
        key = "account:{id}"
        shape = "hash"
        columns = ["id", "owner", "currency", "balance", "version", "status"]
        version = "column"
        version_column = "version"
        [redis.primary]
        seeds = [\(redis.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
        checkpoint_prefix = "sluice:checkpoint:shard\(shard):"
        [metrics]
        listen = "127.0.0.1:\(metricsPort)"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try sandbox.start(
            service: "sluice-run", executable: binary, arguments: ["run", "--config", path],
            workingDirectory: sandbox.path, logPath: sandbox.path + "/run-shard\(shard).log")
    }

    func recover() throws -> (status: Int32, output: String) {
        try sandbox.run(
            service: "ledger-recover", executable: binary, arguments: ["ledger", "recover", "--config", configPath],
            workingDirectory: sandbox.path, logPath: sandbox.path + "/recover.log", timeout: 60)
    }

    func logTail() -> String {
        let text = (try? String(contentsOfFile: sandbox.path + "/ledger.log", encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }
}

extension RedisReply {
    /// The elements of an array reply as text (nil elements as "").
    var arrayStrings: [String] {
        guard case .array(let items) = self else { return [] }
        return items.map { item in
            if case .bulk(let bytes) = item { return String(decoding: bytes, as: UTF8.self) }
            return ""
        }
    }
}

/// A minimal HTTP/1.1 client over a socket: one request per connection.
enum HTTPClient {
    struct Failure: Error { let message: String }

    static func request(port: Int, _ method: String, _ path: String, body: String? = nil, timeout: Double = 30)
        throws -> (status: Int, body: String)
    {
        let raw = rawRequest(method, path, body: body)
        let text = try exchange(port: port, Array(raw.utf8), timeout: timeout)
        guard let statusLine = text.split(separator: "\r\n").first, statusLine.split(separator: " ").count >= 2,
            let status = Int(statusLine.split(separator: " ")[1])
        else { throw Failure(message: "no HTTP answer: \(text.prefix(200))") }
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (status, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func rawRequest(_ method: String, _ path: String, body: String?) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return text + "\r\n" + (body ?? "")
    }

    static func exchange(port: Int, _ bytes: [UInt8], timeout: Double) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(message: "connect failed: errno \(errno)") }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            all += chunk.prefix(n)
        }
        guard !all.isEmpty else { throw Failure(message: "no answer (connection closed or timed out)") }
        return String(decoding: all, as: UTF8.self)
    }

    /// The JSON object of an answer's body.
    static func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// A new Ed25519 journal key in a temporary folder: `journal.pem` (private) and `journal.pub.pem`.
struct SigningKeyFiles {
    let folder: String
    let publicPEM: String
    var privatePath: String { folder + "/journal.pem" }
    var publicPath: String { folder + "/journal.pub.pem" }

    init(label: String) throws {
        folder = NSTemporaryDirectory() + "sluice-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let pem = JournalKey.generatePrivatePEM()
        publicPEM = try JournalKey(pem: pem, isPrivate: true, source: "test").publicPEM()
        try pem.write(toFile: folder + "/journal.pem", atomically: true, encoding: .utf8)
        try publicPEM.write(toFile: folder + "/journal.pub.pem", atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
