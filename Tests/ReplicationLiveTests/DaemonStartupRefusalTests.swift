import Binlog
import Foundation
import MySQLSource
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// `sluice run` runs the source prerequisites before reading: against a real MariaDB with
/// binlog_row_metadata = MINIMAL and a `[source] server_id` equal to the server's own, it warns
/// about the metadata, refuses the server_id and exits 3 (which the unit does not restart).
final class DaemonStartupRefusalTests: XCTestCase {
    func testPrerequisitesWarnAndRefuseWithExitStatusThree() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "run-refused")
        defer { folder.close() }
        let server = try MariaDBServer(in: folder, ports: PortAllocator())
        let db = try server.connect()
        try PaymentsWorkload(accounts: 1).create(on: db)
        try db.execute("SET GLOBAL binlog_row_metadata = MINIMAL")
        let own = try XCTUnwrap(try db.query("SELECT @@server_id AS id").value("id"))
        let text = DemoConfig.text(mariadbPort: server.port, redis: ["127.0.0.1:1"], kafka: nil)
        XCTAssertTrue(text.contains("server_id = 4243"))
        let path = folder.path + "/run.toml"
        try text.replacingOccurrences(of: "server_id = 4243", with: "server_id = \(own)")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (status, log) = try Self.run(executable, config: path, in: folder)
        XCTAssertEqual(status, 3, log)
        XCTAssertTrue(log.contains("binlog_row_metadata is MINIMAL"), log)
        XCTAssertTrue(log.contains("refusing to start: server_id \(own) is the server's own server_id"), log)
    }

    /// A MariaDB GTID start past the server's binlog is not a purged binlog: the server never
    /// wrote those transactions. In production it is the checkpoint of an old primary after the
    /// source moved onto a replica promoted while behind (a virtual IP moved under a running
    /// daemon); here a configured start_gtid five transactions ahead takes the same path through
    /// the source. The run stops with exit 3 (not restarted), naming both positions, the count and
    /// `sluice repair-ahead`, and nothing about purging.
    func testAGTIDStartPastTheServersBinlogStopsWithExitThreeAndTheWayOut() throws {
        let executable = try BuiltBinary.path()
        let folder = try SandboxFolder(label: "run-past-binlog")
        defer { folder.close() }
        let ports = PortAllocator()
        let server = try MariaDBServer(in: folder, ports: ports)
        let cluster = try RedisClusterSandbox(in: folder, ports: ports, name: "primary", masters: 3)
        let db = try server.connect()
        try PaymentsWorkload(accounts: 1).create(on: db)
        let text = try XCTUnwrap(db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        let last = try XCTUnwrap(MariaDBGTIDPosition(parsing: text)?.gtids.first, text)
        let past = "\(last.domain)-\(last.serverID)-\(last.sequence + 5)"
        let config = DemoConfig.text(mariadbPort: server.port, redis: cluster.addresses, kafka: nil)
        XCTAssertTrue(config.contains("start = \"checkpoint-or-earliest\""))
        let path = folder.path + "/run.toml"
        try config.replacingOccurrences(
            of: "start = \"checkpoint-or-earliest\"", with: "start = \"gtid\"\nstart_gtid = \"\(past)\""
        ).write(toFile: path, atomically: true, encoding: .utf8)
        let (status, log) = try Self.run(executable, config: path, in: folder)
        XCTAssertEqual(status, 3, log)
        XCTAssertTrue(log.contains("the start point (gtid \(past)) is past the binlog of server_id "), log)
        XCTAssertTrue(log.contains("(gtid \(last)): 5 transaction(s) this server never wrote"), log)
        XCTAssertTrue(log.contains("sluice repair-ahead --config FILE"), log)
        XCTAssertFalse(log.contains("purged"), log)
    }

    /// `sluice run --config path` to its end: its exit status, and its output with its log's tail.
    private static func run(_ executable: String, config path: String, in folder: SandboxFolder) throws -> (
        status: Int32, log: String
    ) {
        let result = try folder.run(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", path],
            workingDirectory: folder.path, logPath: folder.path + "/run.log", timeout: 60)
        return (result.status, result.output + LogFile.tail(folder.path + "/run.log", lines: 40))
    }
}
