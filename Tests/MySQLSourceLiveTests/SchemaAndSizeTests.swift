import Binlog
import Foundation
import MySQLSource
import XCTest

final class SchemaAndSizeTests: XCTestCase {
    func testAlterTableBetweenRowEvents() throws {
        let fixture = try SourceFixture("source-alter")
        // With binlog_row_metadata=FULL the names travel in TABLE_MAP: no lookups.
        let full = fixture.source(.current)
        XCTAssertNil(try full.poll(for: 0.3))
        try fixture.writeTransactions(1)
        try fixture.admin.execute("ALTER TABLE shop.items ADD COLUMN price INT NOT NULL DEFAULT 7")
        try fixture.admin.execute("INSERT INTO shop.items VALUES (2, 'b', 9)")
        let got = try collect(full) { ids($0).count == 2 }
        let rows = got.flatMap(\.changes)
        XCTAssertEqual(rows[0].columns, ["id", "name"])
        XCTAssertEqual(rows[1].columns, ["id", "name", "price"])
        XCTAssertEqual(rows[1].after, [.int(2), .string("b"), .int(9)])
        XCTAssertEqual(rows[1].primaryKey, [0])
        XCTAssertTrue(got.contains { $0.statement?.hasPrefix("ALTER TABLE shop.items ADD COLUMN price") ?? false })
        XCTAssertEqual(full.schemaLookups, 0)

        // Without names in TABLE_MAP: information_schema, read again after the DDL.
        try fixture.admin.execute("SET GLOBAL binlog_row_metadata = 'MINIMAL'")
        let minimal = fixture.source(.current, serverID: 4003)
        XCTAssertNil(try minimal.poll(for: 0.3))
        let writer = try fixture.server.connect()
        try writer.execute("INSERT INTO shop.items VALUES (3, 'c', 1)")
        XCTAssertEqual(
            try collect(minimal) { ids($0).count == 1 }.first?.changes.first?.columns, ["id", "name", "price"])
        try writer.execute("ALTER TABLE shop.items ADD COLUMN note VARCHAR(10) NULL")
        try writer.execute("INSERT INTO shop.items VALUES (4, 'd', 1, 'n')")
        let after = try collect(minimal) { ids($0).count == 1 }
        XCTAssertEqual(after.flatMap(\.changes).first?.columns, ["id", "name", "price", "note"])
        XCTAssertEqual(minimal.schemaLookups, 2)

        // A source reading rows written before a change it only knows from information_schema now:
        // the column counts disagree and it stops rather than guess.
        try writer.execute("INSERT INTO shop.items VALUES (5, 'e', 1, 'n')")
        try writer.execute("ALTER TABLE shop.items DROP COLUMN note")
        let stale = fixture.source(.position(try XCTUnwrap(minimal.position?.binlog)), serverID: 4004)
        XCTAssertThrowsError(try stale.next()) { error in
            guard let error = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .schema)
            XCTAssertTrue(
                error.message.hasPrefix(
                    "`shop`.`items`: the row has 4 columns, the known schema has 3 (id, name, price)"),
                error.message)
        }
    }

    func testMillionRowTransactionInBoundedMemory() throws {
        let fixture = try SourceFixture("source-million")
        let source = fixture.source(.current, chunkRows: 10_000)
        XCTAssertNil(try source.poll(for: 0.3))
        try fixture.admin.execute(
            "INSERT INTO shop.items SELECT seq, CONCAT('item ', seq) FROM shop.seq_1_to_1000000")
        let baseline = residentBytes()
        var peak = baseline
        var rows = 0
        var chunks = 0
        var expectedID = 1
        var last: SourceTransaction?
        while last?.isLast != true {
            guard let chunk = try source.poll(for: 60) else {
                return XCTFail("stalled at \(rows)")
            }
            for change in chunk.changes {
                guard case .int(let id)? = change.after?.first, id == expectedID else {
                    return XCTFail("row \(rows): \(String(describing: change.after)) where id \(expectedID) was due")
                }
                expectedID += 1
            }
            rows += chunk.changes.count
            chunks += 1
            XCTAssertEqual(chunk.checkpoint == nil, !chunk.isLast)
            last = chunk
            peak = max(peak, residentBytes())
        }
        XCTAssertEqual(rows, 1_000_000)
        XCTAssertEqual(chunks, 100)
        let growth = peak > baseline ? peak - baseline : 0
        print("million rows: \(chunks) chunks, resident memory grew \(growth / 1_048_576) MiB")
        // Holding the whole transaction would take several hundred MiB.
        XCTAssertLessThan(growth, 150 * 1_048_576)
    }

    func testIdleSourceKeepsLagNearZero() throws {
        let fixture = try SourceFixture("source-idle")
        let source = fixture.source(.current, heartbeat: 1)
        XCTAssertNil(try source.poll(for: 0.3))
        try fixture.writeTransactions(1)
        XCTAssertEqual(ids(try collect(source) { ids($0).count == 1 }), [1])
        let idleUntil = Date().timeIntervalSince1970 + 10
        var worst = 0.0
        while Date().timeIntervalSince1970 < idleUntil {
            XCTAssertNil(try source.poll(for: 0.5))
            worst = max(worst, source.lag().secondsBehind ?? .infinity)
        }
        let lag = source.lag(measureBytes: true)
        XCTAssertLessThan(worst, 2.5, "heartbeats every second keep the lag near zero")
        XCTAssertEqual(lag.bytesBehind, 0)
        try fixture.writeTransactions(1)
        XCTAssertEqual(
            source.lag(measureBytes: true).bytesBehind.map { $0 > 0 }, true, "a new transaction not yet read")
    }
}
