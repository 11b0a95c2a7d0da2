import MySQLSource
import TestSupport
import XCTest

/// The checks on settings written out (pure), then against a real MariaDB.
final class PrerequisiteTests: XCTestCase {
    private let good = ServerSettings(
        version: "10.11.6-MariaDB-log", serverID: 1, logBin: true, binlogFormat: "ROW", binlogRowImage: "FULL",
        binlogRowMetadata: "FULL", binlogChecksum: "CRC32", syncBinlog: 1, innodbFlushLogAtTrxCommit: 1)
    private let allPrivileges = AccountFacts(
        globalPrivileges: ["REPLICATION SLAVE", "BINLOG MONITOR", "SELECT"], replicaServerIDs: [7])

    func testAGoodServerPassesWithoutWarnings() {
        let report = SourcePrerequisites.evaluate(settings: good, facts: allPrivileges, serverID: 9001, tables: [])
        XCTAssertEqual(report, PrerequisiteReport())
    }

    func testEachBadSettingIsNamed() {
        var settings = good
        settings.logBin = false
        settings.binlogFormat = "MIXED"
        settings.binlogRowImage = "MINIMAL"
        settings.binlogRowMetadata = "MINIMAL"
        settings.syncBinlog = 0
        let table = TableName("shop", "orders")
        var facts = AccountFacts(globalPrivileges: ["SELECT"], replicaServerIDs: [7])
        facts.columns[table] = [("id", false, true), ("total", false, false), ("note", true, false)]
        facts.unreadableTables[TableName("shop", "secret")] = "SELECT command denied"
        let report = SourcePrerequisites.evaluate(
            settings: settings, facts: facts, serverID: 7, tables: [table, TableName("shop", "secret")])
        XCTAssertEqual(
            report.errors.map(\.code), [.prerequisite, .prerequisite, .prerequisite, .serverIDInUse, .privileges])
        XCTAssertEqual(report.errors[0].message, "the binary log is off (log_bin=OFF): start the server with --log-bin")
        XCTAssertTrue(report.errors[1].message.hasPrefix("binlog_format is MIXED, sluice needs ROW"))
        XCTAssertEqual(
            report.errors[2].message,
            "binlog_row_image is MINIMAL, the Redis mapping needs FULL; with MINIMAL, every column outside the primary key can be missing from updates and deletes (shop.orders: total, note)"
        )
        XCTAssertTrue(report.errors[3].message.contains("server_id 7 is already used by a replica"))
        XCTAssertEqual(
            report.errors[4].message,
            "the account lacks REPLICATION SLAVE, BINLOG MONITOR (REPLICATION CLIENT), SELECT on shop.secret (SELECT command denied); sluice needs exactly REPLICATION SLAVE, REPLICATION CLIENT/BINLOG MONITOR and SELECT on the mapped tables"
        )
        XCTAssertEqual(report.warnings.count, 2)
        XCTAssertTrue(report.warnings[0].hasPrefix("binlog_row_metadata is MINIMAL"))
        XCTAssertTrue(report.warnings[1].hasPrefix("sync_binlog=0"))
        XCTAssertThrowsError(try report.throwIfFailed()) { error in
            XCTAssertEqual((error as? SourceError)?.code, .prerequisite)
            XCTAssertTrue("\(error)".contains("also: binlog_format is MIXED"))
        }
    }

    func testNoblobNamesTheBlobColumnsAndOwnServerIDIsRefused() {
        var settings = good
        settings.binlogRowImage = "noblob"
        let table = TableName("shop", "items")
        var facts = allPrivileges
        facts.columns[table] = [("id", false, true), ("photo", true, false), ("name", false, false)]
        let report = SourcePrerequisites.evaluate(settings: settings, facts: facts, serverID: 1, tables: [table])
        XCTAssertEqual(
            report.errors.map(\.message),
            [
                "binlog_row_image is NOBLOB, the Redis mapping needs FULL; with NOBLOB, BLOB/TEXT columns that a statement did not change are missing (shop.items: photo)",
                "server_id 1 is the server's own server_id; choose another for sluice",
            ])
    }

    func testLiveServerChecksFindPrivilegesAndSettings() throws {
        let folder = try SandboxFolder(label: "source-prereq")
        defer { folder.close() }
        let server = try MariaDBServer(in: folder, ports: PortAllocator())
        let admin = try server.connect()
        try admin.execute("CREATE DATABASE shop")
        try admin.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2), note TEXT)")
        try admin.execute("CREATE TABLE shop.secret (id INT PRIMARY KEY)")
        let tables = [TableName("shop", "orders"), TableName("shop", "secret")]

        let settings = try ServerSettings.read(from: admin)
        XCTAssertEqual(settings.flavour, .mariadb)
        XCTAssertEqual(settings.binlogFormat, "ROW")
        XCTAssertEqual(settings.binlogRowMetadata, "FULL")
        XCTAssertEqual(settings.syncBinlog, 1)
        XCTAssertEqual(settings.innodbFlushLogAtTrxCommit, 1)
        XCTAssertEqual(
            try SourcePrerequisites.run(on: admin, settings: settings, serverID: 4242, tables: tables),
            PrerequisiteReport())

        try admin.execute("CREATE USER 'reader'@'%' IDENTIFIED BY 'pw'")
        try admin.execute("GRANT SELECT ON shop.orders TO 'reader'@'%'")
        var endpoint = server.endpoint
        endpoint.user = "reader"
        endpoint.password = "pw"
        let reader = try MySQLConnection(endpoint)
        let weak = try SourcePrerequisites.run(on: reader, settings: settings, serverID: 4242, tables: tables)
        XCTAssertEqual(weak.errors.map(\.code), [.privileges])
        XCTAssertTrue(
            weak.errors[0].message.hasPrefix(
                "the account lacks REPLICATION SLAVE, BINLOG MONITOR (REPLICATION CLIENT), SELECT on shop.secret (SELECT command denied to user 'reader'@'127.0.0.1' for table `shop`.`secret`)"
            ),
            weak.errors[0].message)

        try admin.execute("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'reader'@'%'")
        try admin.execute("GRANT SELECT ON shop.secret TO 'reader'@'%'")
        let enough = try SourcePrerequisites.run(
            on: try MySQLConnection(endpoint), settings: settings, serverID: 4242, tables: tables)
        XCTAssertEqual(enough, PrerequisiteReport())

        try admin.execute("SET GLOBAL binlog_format = 'MIXED'")
        try admin.execute("SET GLOBAL binlog_row_image = 'MINIMAL'")
        try admin.execute("SET GLOBAL binlog_row_metadata = 'MINIMAL'")
        let changed = try ServerSettings.read(from: admin)
        let report = try SourcePrerequisites.run(on: admin, settings: changed, serverID: 4242, tables: tables)
        XCTAssertEqual(report.errors.map(\.code), [.prerequisite, .prerequisite])
        XCTAssertTrue(report.errors[1].message.hasSuffix("(shop.orders: total, note)"), report.errors[1].message)
        XCTAssertTrue(report.warnings[0].hasPrefix("binlog_row_metadata is MINIMAL"))
    }
}
