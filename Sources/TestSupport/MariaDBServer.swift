import Foundation
import MySQLSource

/// A MariaDB server on a free loopback port, with the binlog settings sluice relies on: ROW format,
/// full row image, `binlog_row_metadata=FULL` (column names and primary key in TABLE_MAP), GTID
/// strict mode, and durable commits (`sync_binlog=1`, `innodb_flush_log_at_trx_commit=1`).
/// User `root` with no password, over TCP on 127.0.0.1 or the Unix socket `socketPath`.
package final class MariaDBServer: @unchecked Sendable {
    package static let service = "mariadb"

    package let port: Int
    package let serverID: Int
    package let folder: String
    package let dataDirectory: String
    package let socketPath: String
    package let logPath: String
    private let sandbox: SandboxFolder
    private let executable: String
    private let process = ProcessSlot()
    /// Options appended to the server's command line (e.g. `--ssl-cert=...`).
    package let extraArguments: [String]

    /// Starts the server in `sandbox` and returns once it answers a query (at most `timeout` s).
    /// The data folder is a copy of a freshly installed one kept in `templateCache`, so only the
    /// first start on a machine pays for `mariadb-install-db`.
    package init(
        in sandbox: SandboxFolder, ports: PortAllocator, serverID: Int = 1, name: String = "mariadb",
        templateCache: MariaDBTemplateCache = MariaDBTemplateCache(), timeout: Double = 15,
        extraArguments: [String] = []
    ) throws(SandboxError) {
        self.sandbox = sandbox
        self.extraArguments = extraArguments
        self.serverID = serverID
        executable = try Executables.find("mariadbd", service: Self.service)
        folder = try sandbox.subfolder(name)
        dataDirectory = folder + "/data"
        // A Unix socket path holds at most 107 bytes; a deep checkout falls back to /tmp.
        let socketInFolder = folder + "/mysqld.sock"
        socketPath =
            socketInFolder.utf8.count < 100
            ? socketInFolder : "/tmp/sluice-mariadb-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        logPath = folder + "/mariadbd.log"
        port = try ports.pick()
        let template = try templateCache.dataDirectory(mariadbd: executable)
        do {
            try FileManager.default.copyItem(atPath: template, toPath: dataDirectory)
        } catch {
            throw SandboxError(
                .fileSystem, service: Self.service, message: "copying \(template) to \(dataDirectory): \(error)")
        }
        try launch(timeout: timeout)
    }

    /// root@127.0.0.1 over TCP.
    package var endpoint: MySQLEndpoint {
        MySQLEndpoint(host: "127.0.0.1", port: port, user: "root", password: "")
    }

    package var pid: Int32? {
        process.current?.pid
    }

    package func connect(database: String? = nil) throws(MySQLError) -> MySQLConnection {
        var endpoint = endpoint
        endpoint.database = database
        return try MySQLConnection(endpoint)
    }

    /// Stops the server (SIGTERM: a clean shutdown; SIGKILL after `grace` s).
    package func stop(grace: Double = 10) {
        if let running = process.take() { sandbox.stop(running, grace: grace) }
    }

    /// Kills the server with SIGKILL: a crash, as far as clients and the binlog can tell.
    package func crash() {
        if let running = process.take() {
            running.kill9()
            sandbox.forget(running)
        }
    }

    /// Starts the server again on the same port and data (after `stop()` or `crash()`).
    package func restart(timeout: Double = 15) throws(SandboxError) {
        stop()
        try launch(timeout: timeout)
    }

    private func launch(timeout: Double) throws(SandboxError) {
        let arguments =
            [
                "--no-defaults", "--datadir=\(dataDirectory)", "--user=root", "--port=\(port)",
                "--bind-address=127.0.0.1", "--socket=\(socketPath)", "--pid-file=\(folder)/mariadbd.pid",
                "--skip-name-resolve", "--server-id=\(serverID)",
                "--log-bin=\(dataDirectory)/bin", "--binlog-format=ROW", "--binlog-row-image=FULL",
                "--binlog-row-metadata=FULL", "--gtid-strict-mode=ON", "--log-slave-updates=ON",
                "--sync-binlog=1", "--innodb-flush-log-at-trx-commit=1",
                "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--max-connections=200",
            ] + extraArguments
        let child = try sandbox.start(
            service: Self.service, executable: executable, arguments: arguments, workingDirectory: folder,
            logPath: logPath)
        process.set(child)
        let endpoint = MySQLEndpoint(host: "127.0.0.1", port: port, connectTimeoutSeconds: 1, readTimeoutSeconds: 5)
        _ = try Readiness.wait(service: Self.service, timeout: timeout, logPath: logPath, process: child) {
            () throws -> Bool? in
            guard PortAllocator.accepts(port) else { return nil }
            let rows = try MySQLConnection(endpoint).query("SELECT 1 AS ready")
            return rows.value("ready") == "1" ? true : nil
        }
    }
}
