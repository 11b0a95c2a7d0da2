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
        XCTAssertNil(try first.poll(until: Date().timeIntervalSince1970 + 0.5))
        let second = fixture.source(.current, serverID: 5000)
        XCTAssertNil(try second.poll(until: Date().timeIntervalSince1970 + 0.5))
        try fixture.writeTransactions(1)
        XCTAssertThrowsError(try first.poll(until: Date().timeIntervalSince1970 + 5)) { error in
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
        XCTAssertEqual(report.errors.map(\.code), [.serverIDConflict])
    }
}
