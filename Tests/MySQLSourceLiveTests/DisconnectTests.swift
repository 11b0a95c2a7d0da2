import Binlog
import Foundation
import MySQLSource
import TestSupport
import XCTest

/// Faults injected while a source streams: KILL of its connection (many times, mid-transaction
/// too), FLUSH BINARY LOGS, PURGE BINARY LOGS, a server restart and a crash. The consumer checks
/// the exact sequence of rows: no gap, no repeat.
final class DisconnectTests: XCTestCase {
    func testManyKillsWhileWritingLoseAndRepeatNothing() throws {
        let fixture = try SourceFixture("source-kill")
        // Each round commits a transaction of 4 INSERT statements, then KILLs the dump connection.
        let rounds = 30
        let endpoint = fixture.server.endpoint
        // The writer's last round (its SELECT and KILL) can still run after the consumer has every
        // row; the test waits for it so that the server is not stopped under its feet.
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            defer { writerDone.signal() }
            do {
                let db = try MySQLConnection(endpoint)
                for round in 0..<rounds {
                    try db.execute("BEGIN")
                    for row in 1...4 { try db.execute("INSERT INTO shop.items VALUES (\(round * 4 + row), 'r')") }
                    try db.execute("COMMIT")
                    let dumps = try db.query(
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
                    for row in dumps.rows { if let id = row.first ?? nil { _ = try? db.execute("KILL \(id)") } }
                    usleep(60_000)
                }
            } catch {
                XCTFail("writer: \(error)")
            }
        }
        let source = fixture.source(.current, chunkRows: 3)
        XCTAssertNil(try source.poll(for: 0.5))
        writer.start()
        let got = try collect(source, timeout: 60) { rowCount($0) >= rounds * 4 }
        XCTAssertEqual(writerDone.wait(timeout: .now() + 30), .success, "writer finished")
        assertSequence(ids(got), Array(1...(rounds * 4)))
        XCTAssertGreaterThanOrEqual(source.failures.count, 20, "kills seen")
        XCTAssertTrue(source.failures.allSatisfy { $0.code == .connect }, "\(source.failures.prefix(3))")
        assertChunksInOrder(got)
    }

    /// Transactions far bigger than the socket buffers (loopback TCP buffers grow to tens of MiB,
    /// so rows are 1 KiB wide), handed out in many chunks: right after
    /// the first chunk of each, the consumer KILLs the dump connection, so the connection dies with
    /// the rest of the transaction still unread. Chunks read again after the reconnect must be
    /// skipped: every row exactly once, in order.
    func testKillAfterFirstChunkOfBigTransactionsRepeatsNothing() throws {
        let fixture = try SourceFixture("source-kill-big")
        try fixture.admin.execute("CREATE TABLE shop.wide (id INT PRIMARY KEY, pad VARCHAR(1000))")
        let rowsPerTransaction = 40_000
        let wantedKills = 10
        let source = fixture.source(.current, chunkRows: 1_000)
        XCTAssertNil(try source.poll(for: 0.3))
        var got: [SourceTransaction] = []
        var expected: [Int] = []
        var killsMidTransaction = 0
        var transactions = 0
        let started = Date()
        while killsMidTransaction < wantedKills && transactions < 2 * wantedKills {
            let base = transactions * rowsPerTransaction
            try fixture.admin.execute(
                "INSERT INTO shop.wide SELECT seq + \(base), REPEAT('x', 1000) FROM shop.seq_1_to_\(rowsPerTransaction)"
            )
            expected += Array((base + 1)...(base + rowsPerTransaction))
            transactions += 1
            let before = source.resumedMidTransaction
            var killed = false
            var last = false
            while !last {
                guard let chunk = try source.poll(for: 30) else {
                    return XCTFail("stalled in transaction \(transactions) after \(rowCount(got)) rows")
                }
                got.append(chunk)
                last = chunk.isLast
                if !killed && !chunk.isLast && chunk.chunk == 0 {
                    let dumps = try fixture.admin.query(
                        "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
                    XCTAssertEqual(dumps.rows.count, 1)
                    for row in dumps.rows { if let id = row.first ?? nil { try fixture.admin.execute("KILL \(id)") } }
                    killed = true
                }
            }
            XCTAssertTrue(killed, "transaction \(transactions) came out in one chunk")
            killsMidTransaction += source.resumedMidTransaction - before
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            "big-transaction kills: \(killsMidTransaction) of \(transactions) landed mid-transaction, "
                + "\(rowCount(got)) rows, \(source.connections) connections, \(String(format: "%.1f", seconds)) s")
        assertSequence(ids(got), expected)
        assertChunksInOrder(got)
        XCTAssertGreaterThanOrEqual(
            killsMidTransaction, wantedKills, "kills that cut a transaction after its first chunk")
        XCTAssertEqual(source.interrupted, source.resumedMidTransaction, "every kill came after a chunk was out")
        XCTAssertTrue(source.failures.allSatisfy { $0.code == .connect }, "\(source.failures.prefix(3))")
    }

    /// Every transaction's chunks arrive in order, the last one alone carrying the checkpoint.
    private func assertChunksInOrder(_ got: [SourceTransaction], line: UInt = #line) {
        var chunkOf: [String: Int] = [:]
        for transaction in got where !transaction.changes.isEmpty {
            let gtid = transaction.gtid ?? ""
            XCTAssertEqual(transaction.chunk, chunkOf[gtid] ?? 0, "\(gtid)", line: line)
            chunkOf[gtid] = transaction.isLast ? nil : transaction.chunk + 1
            XCTAssertEqual(transaction.checkpoint != nil, transaction.isLast, line: line)
        }
        XCTAssertTrue(chunkOf.isEmpty, "\(chunkOf)", line: line)
    }

    func testFlushBinaryLogsMidStreamAndPurgedStartIsExplained() throws {
        let fixture = try SourceFixture("source-flush")
        var expected = try fixture.writeTransactions(5)
        let source = fixture.source(.earliest)
        var got = try collect(source) { ids($0).count == 3 }
        try fixture.admin.execute("FLUSH BINARY LOGS")
        expected += try fixture.writeTransactions(5)
        try fixture.admin.execute("FLUSH BINARY LOGS")
        expected += try fixture.writeTransactions(5)
        got += try collect(source) { ids(got + $0).count == 15 }
        assertSequence(ids(got), expected)
        XCTAssertEqual(
            Set(got.compactMap { $0.changes.isEmpty ? nil : $0.end.file }), ["bin.000001", "bin.000002", "bin.000003"])
        XCTAssertEqual(source.position?.binlog.file, "bin.000003")

        try fixture.admin.execute("PURGE BINARY LOGS TO 'bin.000003'")
        let stale = fixture.source(.position(BinlogPosition(file: "bin.000001", offset: 4)))
        let started = Date()
        XCTAssertThrowsError(try stale.next()) { error in
            guard let error = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, .purgedBinlog)
            XCTAssertEqual(error.mysql?.code, 1236)
            XCTAssertTrue(
                error.message.hasPrefix("the binlog at bin.000001:4 is no longer on the server (purged): "),
                error.message)
            XCTAssertTrue(
                error.message.contains(
                    "The earliest binlog still on the server starts at bin.000003:4 (GTID position 0-1-12). The changes in between cannot be replayed: reload each Redis cluster from the database with `sluice snapshot --config FILE --cluster NAME`"
                ),
                error.message)
        }
        // Stopped at once, and stays stopped without touching the server again.
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertThrowsError(try stale.next()) { XCTAssertEqual(($0 as? SourceError)?.code, .purgedBinlog) }
    }

    func testServerRestartAndCrashMidStream() throws {
        let fixture = try SourceFixture("source-restart")
        var expected = try fixture.writeTransactions(20, rows: 3)
        let source = fixture.source(.earliest, chunkRows: 2)
        var got = try collect(source) { ids($0).count >= 30 }
        try fixture.server.restart()
        expected += try fixture.writeTransactions(20, rows: 3, on: fixture.server.connect())
        got += try collect(source) { ids(got + $0).count >= 90 }
        fixture.server.crash()
        try fixture.server.restart()
        expected += try fixture.writeTransactions(20, rows: 3, on: fixture.server.connect())
        got += try collect(source) { ids(got + $0).count == expected.count }
        assertSequence(ids(got), expected)
        XCTAssertGreaterThanOrEqual(source.connections, 3)
    }

    func testAuthenticationFailureStopsWithoutRetrying() throws {
        let fixture = try SourceFixture("source-auth")
        var endpoint = fixture.server.endpoint
        endpoint.user = "nobody"
        endpoint.password = "wrong"
        let source = BinlogSource(
            SourceConfiguration(endpoint: endpoint, replica: ReplicaOptions(serverID: 4001), start: .current))
        XCTAssertThrowsError(try source.next()) { error in
            XCTAssertEqual((error as? SourceError)?.code, .authentication)
            XCTAssertTrue("\(error)".contains("Access denied for user 'nobody'"), "\(error)")
        }
        XCTAssertThrowsError(try source.next()) { XCTAssertEqual(($0 as? SourceError)?.code, .authentication) }
        XCTAssertEqual(source.connections, 0)
        XCTAssertEqual(source.failures.count, 0)
    }
}
