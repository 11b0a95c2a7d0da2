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
        let result = try folder.run(
            service: "sluice-run", executable: executable, arguments: ["run", "--config", path],
            workingDirectory: folder.path, logPath: folder.path + "/run.log", timeout: 60)
        let log = result.output + LogFile.tail(folder.path + "/run.log", lines: 40)
        XCTAssertEqual(result.status, 3, log)
        XCTAssertTrue(log.contains("binlog_row_metadata is MINIMAL"), log)
        XCTAssertTrue(log.contains("refusing to start: server_id \(own) is the server's own server_id"), log)
    }
}
