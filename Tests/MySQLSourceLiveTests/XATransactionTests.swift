import Binlog
import Foundation
import MySQLSource
import XCTest

/// XA transactions on a real MariaDB: rows written at XA PREPARE come out only at XA COMMIT, are
/// dropped at XA ROLLBACK, survive a server restart while in doubt, and a COMMIT whose PREPARE
/// was never read stops the source naming the XID.
final class XATransactionTests: XCTestCase {
    /// Prepares an XA transaction; the returned session must decide it (MariaDB lets another
    /// session take over a prepared XA only once the preparing one has gone).
    private func prepare(_ fixture: SourceFixture, _ name: String, ids: [Int]) throws -> MySQLConnection {
        let db = try fixture.server.connect()
        try db.execute("XA START '\(name)'")
        for id in ids { try db.execute("INSERT INTO shop.items VALUES (\(id), 'xa \(name)')") }
        try db.execute("XA END '\(name)'")
        try db.execute("XA PREPARE '\(name)'")
        return db
    }

    func testPrepareCommitRollbackAndRestartInDoubt() throws {
        let fixture = try SourceFixture("source-xa")
        let source = fixture.source(.current)
        XCTAssertNil(try source.poll(for: 0.3))

        let pay1 = try prepare(fixture, "pay-1", ids: [100, 101])
        try fixture.writeTransactions(1)  // id 1, committed after the PREPARE
        let afterPrepare = try collect(source) { ids($0) == [1] }
        XCTAssertEqual(ids(afterPrepare), [1], "prepared rows are held")
        // The checkpoint may not pass the undecided XA PREPARE: it stays at its start.
        let held = try XCTUnwrap(afterPrepare.last?.checkpoint)
        XCTAssertLessThan(held.binlog, try XCTUnwrap(afterPrepare.last?.end))
        XCTAssertEqual(source.checkpoint, held)

        try pay1.execute("XA COMMIT 'pay-1'")
        let committed = try collect(source) { !$0.isEmpty }
        XCTAssertEqual(ids(committed), [100, 101])
        XCTAssertEqual(committed[0].xid?.gtrid, Array("pay-1".utf8))
        XCTAssertEqual(committed[0].checkpoint?.binlog, committed[0].end, "decided: the checkpoint catches up")
        XCTAssertFalse(committed[0].rolledBack)

        let pay2 = try prepare(fixture, "pay-2", ids: [200])
        try pay2.execute("XA ROLLBACK 'pay-2'")
        let rolledBack = try collect(source) { !$0.isEmpty }
        XCTAssertEqual(rolledBack[0].changes, [], "rolled back: no rows")
        XCTAssertEqual(rolledBack[0].xid?.gtrid, Array("pay-2".utf8))
        XCTAssertTrue(rolledBack[0].rolledBack, "an XA ROLLBACK says so")

        // In doubt across a server restart, then committed from a new session.
        _ = try prepare(fixture, "pay-3", ids: [300, 301, 302])
        try fixture.writeTransactions(1)  // id 2
        XCTAssertEqual(ids(try collect(source) { ids($0) == [2] }), [2])
        try fixture.server.restart()
        let recovered = try fixture.server.connect()
        XCTAssertEqual(try recovered.query("XA RECOVER").value("data"), "pay-3")
        try recovered.execute("XA COMMIT 'pay-3'")
        let afterRestart = try collect(source) { ids($0).count == 3 }
        XCTAssertEqual(ids(afterRestart), [300, 301, 302])
        XCTAssertGreaterThanOrEqual(source.connections, 2)

        // A source that starts after the PREPARE cannot know the rows: it stops and names the XID.
        let pay4 = try prepare(fixture, "pay-4", ids: [400])
        let late = fixture.source(.current, serverID: 4002)
        XCTAssertNil(try late.poll(for: 0.3))
        try pay4.execute("XA COMMIT 'pay-4'")
        XCTAssertThrowsError(try late.next()) { error in
            guard let error = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .xaRowsMissing)
            XCTAssertTrue(
                error.message.hasPrefix("XA COMMIT X'7061792d34',X'',1: its XA PREPARE (with the rows) was not read"),
                error.message)
        }
    }

    /// Prepares XA `name` inserting ids `after + 1 ... after + rows`, then commits row `marker` and
    /// reads it from `source` (so the PREPARE has been read and held); returns the preparing session.
    private func prepareSequence(
        _ fixture: SourceFixture, _ source: BinlogSource, _ name: String, rows: Int, after: Int, marker: Int
    ) throws -> MySQLConnection {
        let db = try fixture.server.connect()
        try db.execute("XA START '\(name)'")
        try db.execute(
            "INSERT INTO shop.items SELECT seq + \(after), CONCAT('xa item ', seq) FROM shop.seq_1_to_\(rows)")
        try db.execute("XA END '\(name)'")
        try db.execute("XA PREPARE '\(name)'")
        try fixture.admin.execute("INSERT INTO shop.items VALUES (\(marker), 'after the PREPARE')")
        XCTAssertEqual(ids(try collect(source) { !$0.isEmpty }), [marker], "prepared rows are held")
        return db
    }

    /// A prepared XA transaction of 200,000 rows goes to a spill file, comes out at XA COMMIT in
    /// chunks, every row once and in order, with memory bounded; a rolled back one delivers
    /// nothing; no spill file is left behind.
    func testBigPreparedXASpillsToFileAndComesOutInChunks() throws {
        let fixture = try SourceFixture("source-xa-spill")
        let spillDirectory = fixture.folder.path + "/spill"
        try FileManager.default.createDirectory(atPath: spillDirectory, withIntermediateDirectories: true)
        let source = BinlogSource(
            SourceConfiguration(
                endpoint: fixture.server.endpoint, replica: ReplicaOptions(serverID: 4003), start: .current,
                chunkRows: 10_000, spillRows: 10_000, spillDirectory: spillDirectory))
        XCTAssertNil(try source.poll(for: 0.3))
        let spillFiles = { (try? FileManager.default.contentsOfDirectory(atPath: spillDirectory)) ?? [] }
        let rows = 200_000

        let baseline = residentBytes()
        var peak = baseline
        let big = try prepareSequence(fixture, source, "big", rows: rows, after: 0, marker: 900_001)
        XCTAssertEqual(spillFiles().count, 1, "the prepared rows are on file")

        peak = max(peak, residentBytes())
        try big.execute("XA COMMIT 'big'")
        var expectedID = 1
        var chunks = 0
        var last: SourceTransaction?
        while last?.isLast != true {
            guard let chunk = try source.poll(for: 60) else {
                return XCTFail("stalled at row \(expectedID)")
            }
            XCTAssertEqual(chunk.xid?.gtrid, Array("big".utf8))
            XCTAssertEqual(chunk.chunk, chunks)
            XCTAssertEqual(chunk.checkpoint == nil, !chunk.isLast)
            for change in chunk.changes {
                guard case .int(let id)? = change.after?.first, id == expectedID else {
                    return XCTFail("\(String(describing: change.after)) where id \(expectedID) was due")
                }
                expectedID += 1
            }
            chunks += 1
            last = chunk
            peak = max(peak, residentBytes())
        }
        XCTAssertEqual(expectedID - 1, rows)
        XCTAssertEqual(chunks, rows / 10_000)
        XCTAssertEqual(last?.checkpoint?.binlog, last?.end, "decided: the checkpoint catches up")
        XCTAssertEqual(spillFiles(), [], "committed: the spill file is gone")
        let growth = peak > baseline ? peak - baseline : 0
        print("XA spill: \(rows) rows in \(chunks) chunks, resident memory grew \(growth / 1_048_576) MiB")
        XCTAssertLessThan(growth, 40 * 1_048_576)

        let undone = try prepareSequence(fixture, source, "undone", rows: rows / 4, after: rows, marker: 900_002)
        XCTAssertEqual(spillFiles().count, 1)
        try undone.execute("XA ROLLBACK 'undone'")
        let rolledBack = try collect(source) { !$0.isEmpty }
        XCTAssertEqual(rolledBack.map(\.changes.count), [0], "rolled back: no rows")
        XCTAssertEqual(rolledBack.first?.xid?.gtrid, Array("undone".utf8))
        XCTAssertEqual(spillFiles(), [], "rolled back: the spill file is gone")
    }
}
