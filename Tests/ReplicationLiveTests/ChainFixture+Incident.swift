import Foundation
import MySQLSource
import RedisCluster
import TestSupport
import XCTest

/// What the incident-command tests add to `ChainFixture`: running a `sluice` command to its end
/// with the run config, its JSON last line, and the cluster's key count.
extension ChainFixture {
    /// `sluice ARGS --config <run config>`, its exit status and output (stdout and stderr).
    func sluice(_ args: [String], timeout: Double = 120) throws -> (status: Int32, output: String) {
        try folder.run(
            service: "sluice-\(args[0])", executable: executable, arguments: args + ["--config", runConfigPath],
            workingDirectory: folder.path, logPath: folder.path + "/\(args[0]).log", timeout: timeout)
    }

    /// Starts `sluice run` expecting a refusal: it exits by itself with 3 (a refusal systemd does
    /// not restart, `RestartPreventExitStatus`); returns the log's last lines.
    func refusedStart(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let refused = try startDaemon()
        XCTAssertTrue(
            refused.waitForExit(timeout: 30), "the daemon kept running: \(runLogTail())", file: file, line: line)
        folder.forget(refused)
        XCTAssertEqual(
            refused.exitStatusIfExited().map { $0 >> 8 }, 3,
            "exit code 3 (the wait status's high byte): \(runLogTail())",
            file: file, line: line)
        return runLogTail(lines: 5)
    }

    func lastJSON(_ output: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let last = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let object = try? JSONSerialization.jsonObject(with: Data(last.utf8))
        return try XCTUnwrap(object as? [String: Any], "no JSON line in: \(output)", file: file, line: line)
    }

    /// Keys in the cluster (every master's DBSIZE).
    func keyCount(_ redis: RedisClusterClient) throws -> Int64 {
        var total: Int64 = 0
        for node in redis.masters { total += try redis.connection(to: node).command(RedisCommand("DBSIZE")).int ?? 0 }
        return total
    }
}

extension ChainFixture {
    /// Runs the payments workload on its own connection until the returned closure is called
    /// (which stops it, waits for it and returns its error, if any).
    func startWorkload(pause: Double) -> () -> MySQLError? {
        let done = DispatchSemaphore(value: 0)
        let mariadb = sandbox.mariadb
        let workload = self.workload
        Thread.detachNewThread {
            if let connection = try? mariadb.connect() { workload.run(on: connection, pause: pause) }
            done.signal()
        }
        return {
            workload.stop()
            _ = done.wait(timeout: .now() + 30)
            return workload.progress.error
        }
    }

    /// A second MariaDB (server_id 2) replicating the sandbox's by GTID: the DR region's database.
    func startReplica() throws -> (server: MariaDBServer, connection: MySQLConnection) {
        let replica = try MariaDBServer(in: folder, ports: PortAllocator(), serverID: 2, name: "replica")
        try replica.replicate(from: sandbox.mariadb, semiSync: false)
        return (replica, try replica.connect())
    }
}
