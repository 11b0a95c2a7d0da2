import Binlog
import Foundation
import MySQLSource
import TestSupport
import XCTest

final class ServerIdentityTests: XCTestCase {
    /// A second replica registering with the same server_id makes the server drop the first
    /// (error 4052); the first stops with `serverIDConflict` instead of reconnecting and throwing
    /// the other out in turn.
    func testAnotherReplicaWithTheSameServerIDStopsTheSource() throws {
        let fixture = try SourceFixture("source-sameid")
        let first = fixture.source(.current, serverID: 5000)
        XCTAssertNil(try first.poll(for: 0.5))
        let second = fixture.source(.current, serverID: 5000)
        XCTAssertNil(try second.poll(for: 0.5))
        try fixture.writeTransactions(1)
        XCTAssertThrowsError(try first.poll(for: 5)) { error in
            guard let error = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .serverIDConflict)
            XCTAssertEqual(error.mysql?.code, 4052)
            XCTAssertTrue(error.message.hasPrefix("another replica connected with the same server_id"), error.message)
        }
        XCTAssertEqual(first.connections, 1, "no reconnect")
        XCTAssertEqual(ids(try collect(second) { ids($0).count == 1 }), [1])
        // The check before starting sees the registered replica.
        let report = try SourcePrerequisites.run(
            on: fixture.admin, settings: ServerSettings.read(from: fixture.admin), serverID: 5000, tables: [])
        XCTAssertEqual(report.errors.map(\.code), [.serverIDInUse])
    }

    /// The primary fails over to its replica (another server_id): the source notices on
    /// reconnect and continues from its GTID state on the new server, with no gap or repeat.
    func testFailoverToAReplicaContinuesByGTID() throws {
        let fixture = try SourceFixture("source-failover")
        let replica = try MariaDBServer(in: fixture.folder, ports: PortAllocator(), serverID: 2, name: "replica")
        let b = try replica.connect()
        try b.execute(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=\(fixture.server.port), MASTER_USER='root', MASTER_USE_GTID=slave_pos"
        )
        try b.execute("START SLAVE")
        let target = EndpointBox(fixture.server.endpoint)
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: fixture.server.endpoint, replica: ReplicaOptions(serverID: 4100), start: .current,
                backoff: Backoff(initial: 0.05, maximum: 0.5)),
            endpoint: { target.value })
        XCTAssertNil(try source.poll(for: 0.5))
        var expected = try fixture.writeTransactions(3)
        var got = try collect(source) { ids($0).count == 3 }
        let primaryGTID = try XCTUnwrap(fixture.admin.query("SELECT @@gtid_binlog_pos AS g").value("g"))
        XCTAssertEqual(try b.query("SELECT MASTER_GTID_WAIT('\(primaryGTID)', 10) AS w").value("w"), "0")

        // Failover: the replica becomes the primary, the old one goes away.
        try b.execute("STOP SLAVE")
        target.value = replica.endpoint
        fixture.server.stop()
        for id in 100...101 { try b.execute("INSERT INTO shop.items VALUES (\(id), 'after failover')") }
        expected += [100, 101]
        got += try collect(source) { ids(got + $0).count == 5 }
        assertSequence(ids(got), expected)
        XCTAssertEqual(source.serverID, 2)
        XCTAssertEqual(
            got.last?.gtid, "0-2-\(try XCTUnwrap(primaryGTID.split(separator: "-").last.flatMap { Int($0) }) + 2)")
    }
}

/// An endpoint the test can move while the source runs.
final class EndpointBox: @unchecked Sendable {
    private let lock = NSLock()
    private var current: MySQLEndpoint
    init(_ endpoint: MySQLEndpoint) { current = endpoint }
    var value: MySQLEndpoint {
        get {
            lock.lock()
            defer { lock.unlock() }
            return current
        }
        set {
            lock.lock()
            current = newValue
            lock.unlock()
        }
    }
}
