import CMariaDB
import MySQLSource
import TestSupport
import XCTest

final class MariaDBSandboxTests: XCTestCase {
    private var folder: SandboxFolder!
    private var server: MariaDBServer!

    override func setUpWithError() throws {
        folder = try SandboxFolder(label: "mariadb-test")
        server = try MariaDBServer(in: folder, ports: PortAllocator())
    }

    override func tearDown() {
        folder?.close()
    }

    func testBinlogSettingsAreThoseSluiceNeeds() throws {
        let connection = try server.connect()
        let rows = try connection.query(
            """
            SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@binlog_row_metadata AS metadata,
                   @@binlog_row_image AS image, @@gtid_strict_mode AS strict, @@server_id AS server_id,
                   @@sync_binlog AS sync_binlog, @@innodb_flush_log_at_trx_commit AS flush
            """)
        XCTAssertEqual(
            rows.columns, ["log_bin", "format", "metadata", "image", "strict", "server_id", "sync_binlog", "flush"])
        XCTAssertEqual(rows.rows, [["1", "ROW", "FULL", "FULL", "1", "1", "1", "1"]])
    }

    func testWritesReachTheBinlogAsRowEvents() throws {
        let connection = try server.connect()
        try connection.execute("CREATE DATABASE shop")
        try connection.execute("CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20), note TEXT NULL)")
        XCTAssertEqual(try connection.execute("INSERT INTO shop.items VALUES (1, 'pen', NULL), (2, 'ink', 'blue')"), 2)
        let items = try connection.query("SELECT id, name, note FROM shop.items ORDER BY id")
        XCTAssertEqual(items.rows, [["1", "pen", nil], ["2", "ink", "blue"]])

        let status = try connection.query("SHOW MASTER STATUS")
        let file = try XCTUnwrap(status.value("File"))
        let events = try connection.query("SHOW BINLOG EVENTS IN '\(file)'")
        let kinds = Set(events.rows.compactMap { $0[events.columns.firstIndex(of: "Event_type") ?? 0] })
        XCTAssertTrue(kinds.isSuperset(of: ["Gtid", "Table_map", "Write_rows_v1", "Xid"]), "\(kinds)")
        let gtid = try connection.query("SELECT @@gtid_binlog_pos AS pos")
        XCTAssertEqual(gtid.value("pos"), "0-1-3")
    }

    func testServerErrorsCarryCodeStateAndStatement() throws {
        let connection = try server.connect()
        XCTAssertThrowsError(try connection.query("SELECT * FROM nowhere.nothing")) { error in
            let error = error as? MySQLError
            XCTAssertEqual(error?.code, 1146)
            XCTAssertEqual(error?.sqlState, "42S02")
            XCTAssertEqual(error?.operation, .query)
            XCTAssertEqual(error?.context, "SELECT * FROM nowhere.nothing")
            XCTAssertEqual(error?.message, "Table 'nowhere.nothing' doesn't exist")
        }
        XCTAssertThrowsError(try MySQLConnection(MySQLEndpoint(port: server.port, user: "nobody"))) { error in
            XCTAssertEqual((error as? MySQLError)?.code, 1045)
            XCTAssertEqual((error as? MySQLError)?.operation, .connect)
        }
    }

    func testUnixSocketConnectionThroughLibmariadbDirectly() throws {
        // Straight through the C API, without our wrapper.
        let handle = try XCTUnwrap(mysql_init(nil))
        defer { mysql_close(handle) }
        XCTAssertNotNil(mysql_real_connect(handle, nil, "root", "", nil, 0, server.socketPath, 0))
        XCTAssertEqual(mysql_query(handle, "SELECT VERSION()"), 0, String(cString: mysql_error(handle)))
        let result = try XCTUnwrap(mysql_store_result(handle))
        defer { mysql_free_result(result) }
        let row = try XCTUnwrap(mysql_fetch_row(result))
        let version = String(cString: try XCTUnwrap(row[0]))
        XCTAssertTrue(version.contains("MariaDB"), version)
    }

    func testRestartKeepsDataAndCrashIsSeenByClients() throws {
        try server.connect().execute("CREATE DATABASE kept")
        try server.restart()
        XCTAssertEqual(try server.connect().query("SHOW DATABASES LIKE 'kept'").rows, [["kept"]])
        server.crash()
        XCTAssertThrowsError(try server.connect()) { error in
            XCTAssertEqual((error as? MySQLError)?.code, 2002)
        }
    }
}

/// The DR region's database: a semi-synchronous GTID replica, promoted after its primary crashed.
final class MariaDBReplicationTests: XCTestCase {
    func testSemiSyncReplicaHoldsEveryAcknowledgedCommitAndIsPromoted() throws {
        let folder = try SandboxFolder(label: "mariadb-replication")
        defer { folder.close() }
        let ports = PortAllocator()
        let primary = try MariaDBServer(in: folder, ports: ports, serverID: 1, name: "primary")
        let replica = try MariaDBServer(in: folder, ports: ports, serverID: 2, name: "replica")
        try replica.replicate(from: primary, semiSync: true)
        let db = try primary.connect()
        try db.execute("CREATE DATABASE pay")
        try db.execute("CREATE TABLE pay.t (id INT PRIMARY KEY, v INT)")
        for i in 1...50 { try db.execute("INSERT INTO pay.t VALUES (\(i), \(i * 10))") }
        // Every commit waited for the replica's acknowledgement (none went on asynchronously).
        let status = try db.query("SHOW STATUS LIKE 'Rpl_semi_sync_master_%_tx'")
        let counts = Dictionary(
            uniqueKeysWithValues: status.rows.indices.map {
                (status.value("Variable_name", row: $0) ?? "", Int(status.value("Value", row: $0) ?? "") ?? -1)
            })
        XCTAssertGreaterThanOrEqual(counts["Rpl_semi_sync_master_yes_tx"] ?? 0, 52, "\(counts)")
        XCTAssertEqual(counts["Rpl_semi_sync_master_no_tx"], 0, "\(counts)")
        let primaryGTID = try XCTUnwrap(db.query("SELECT @@gtid_binlog_pos AS g").value("g"))

        primary.crash()
        let promoted = try replica.promote()
        XCTAssertEqual(promoted, primaryGTID)
        let copy = try replica.connect()
        XCTAssertEqual(try copy.query("SELECT COUNT(*) AS n, SUM(v) AS s FROM pay.t").rows, [["50", "12750"]])
        XCTAssertEqual(try copy.query("SHOW SLAVE STATUS").rows.count, 0, "replication not reset")
        // Writable, in the same GTID domain, continuing the sequence.
        try copy.execute("INSERT INTO pay.t VALUES (51, 510)")
        let after = try XCTUnwrap(copy.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertNotEqual(after, promoted)
        XCTAssertTrue(after.hasPrefix("0-"), after)
    }
}
