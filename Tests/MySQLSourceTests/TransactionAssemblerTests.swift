import XCTest

@testable import Binlog
@testable import MySQLSource

/// The assembler on hand-built events: chunking, a lost connection in the middle of a chunked
/// transaction (no gap, no repeat), XA holding and the checkpoint floor, and wire encodings.
final class TransactionAssemblerTests: XCTestCase {
    private let map = TableMapEvent(
        tableID: 7, schema: "shop", table: "items",
        columns: [ColumnDefinition(type: .long, nullable: false, name: "id")], primaryKey: [.init(column: 0)])
    private var position: UInt64 = 4

    private func event(_ body: EventBody, size: UInt64 = 10, standaloneFlags: UInt16 = 0) -> SourceEvent {
        defer { position += size }
        let header = EventHeader(
            timestamp: 1000, typeCode: 0, serverID: 1, eventSize: UInt32(size), nextPosition: UInt32(position + size),
            flags: standaloneFlags)
        return SourceEvent(
            event: Event(header: header, position: position, body: body), file: "bin.000001",
            position: position, nextPosition: position + size)
    }

    private func gtid(_ sequence: UInt64, flags: UInt8 = 0, xid: XID? = nil) -> SourceEvent {
        var gtid = MariaDBGtidEvent(gtid: MariaDBGTID(domain: 0, serverID: 1, sequence: sequence), flags: flags)
        gtid.xid = xid
        return event(.mariadbGtid(gtid))
    }

    private func rows(_ ids: [Int]) -> SourceEvent {
        let rows = RowsEvent(
            kind: .write, typeCode: 23, tableID: 7, flags: 1, extraData: nil, columnCount: 1, beforeColumns: [],
            afterColumns: [0], rowCount: ids.count, before: [], after: ids.map { .int(Int64($0)) })
        return event(.rows(rows))
    }

    private func query(_ sql: String) -> SourceEvent {
        event(
            .query(
                QueryEvent(
                    threadID: 1, executionTime: 0, errorCode: 0, schema: "shop", status: QueryStatusVariables(),
                    sql: Array(sql.utf8))))
    }

    private func feed(_ assembler: inout TransactionAssembler, _ events: [SourceEvent]) throws -> [SourceTransaction] {
        var out: [SourceTransaction] = []
        for located in events {
            out += try assembler.consume(located) { (map: TableMapEvent) throws(SourceError) -> TableSchema in
                TableSchema(name: TableName(map.schema, map.table), columns: ["id"], primaryKey: [0])
            }
        }
        return out
    }

    private func ids(_ transactions: [SourceTransaction]) -> [Int] {
        transactions.flatMap(\.changes).compactMap { if case .int(let v)? = $0.after?.first { Int(v) } else { nil } }
    }

    /// MySQL `binlog_transaction_compression=ON`: GTID, then one TRANSACTION_PAYLOAD holding the
    /// transaction's events; the transaction ends, and resumes, after the payload event.
    func testCompressedTransactionIsOneTransactionEndingAfterThePayload() throws {
        var assembler = TransactionAssembler(from: SourceCheckpoint(binlog: BinlogPosition(file: "bin.000001", offset: 4)))
        let uuid = ServerUUID(high: 0x1111_2222_3333_4444, low: 0x5555_6666_7777_8888)
        let gtid = event(.mysqlGtid(MySQLGtidEvent(anonymous: false, flags: 0, uuid: uuid, gno: 42)))
        let inner = [query("BEGIN"), event(.tableMap(map)), rows([1, 2]), event(.xid(9))].map(\.event)
        let payload = event(
            .transactionPayload(TransactionPayloadEvent(compression: .zstd, uncompressedSize: 100, events: inner)), size: 60)
        let out = try feed(&assembler, [gtid, payload])
        XCTAssertEqual(ids(out), [1, 2])
        XCTAssertEqual(out.map(\.isLast), [true])
        XCTAssertEqual(out.last?.gtid, "11112222-3333-4444-5555-666677778888:42")
        XCTAssertEqual(out.last?.end, BinlogPosition(file: "bin.000001", offset: payload.nextPosition))
        XCTAssertEqual(assembler.resume.binlog.offset, payload.nextPosition)
    }

    /// MySQL's executed GTID set in the resume point: seeded by PREVIOUS_GTIDS when the file is
    /// read from its start (a start at the earliest file, or after a rotation), then every
    /// transaction's GTID added; not seeded when reading starts past it (the set there would
    /// miss the GTIDs in between).
    func testMySQLExecutedSetSeededByPreviousGtidsReadFromTheFileStart() throws {
        let a = ServerUUID(high: 0xAAAA_AAAA_AAAA_AAAA, low: 1)
        let b = ServerUUID(high: 0xBBBB_BBBB_BBBB_BBBB, low: 2)
        var before = MySQLGTIDSet()
        before.insert(a, .init(1, 5))
        before.insert(b, .init(1, 2))
        let transaction = { (gno: UInt64) -> [SourceEvent] in
            [
                self.event(.mysqlGtid(MySQLGtidEvent(anonymous: false, flags: 0, uuid: a, gno: gno))),
                self.query("BEGIN"), self.event(.tableMap(self.map)), self.rows([Int(gno)]), self.event(.xid(gno)),
            ]
        }
        var fromStart = TransactionAssembler(from: SourceCheckpoint(binlog: BinlogPosition(file: "bin.000001", offset: 4)))
        _ = try feed(&fromStart, [event(.previousGtids(before))] + transaction(6) + transaction(7))
        XCTAssertEqual(fromStart.checkpoint.mysqlGTID?.description, "aaaaaaaa-aaaa-aaaa-0000-000000000001:1-7,bbbbbbbb-bbbb-bbbb-0000-000000000002:1-2")

        // Started in the middle of the file: a PREVIOUS_GTIDS before the start is not the set there.
        position = 4
        var fromMiddle = TransactionAssembler(from: SourceCheckpoint(binlog: BinlogPosition(file: "bin.000001", offset: 900)))
        _ = try feed(&fromMiddle, [event(.previousGtids(before))])
        position = 900
        _ = try feed(&fromMiddle, transaction(9))
        XCTAssertNil(fromMiddle.checkpoint.mysqlGTID)

        // After the server rotates to the next file, that file's PREVIOUS_GTIDS seeds it.
        let rotate = event(.rotate(RotateEvent(nextFile: "bin.000002", position: 4)))
        _ = try feed(&fromMiddle, [rotate])
        var next = before
        next.insert(a, .init(6, 9))
        let header = EventHeader(timestamp: 1000, typeCode: 35, serverID: 1, eventSize: 71, nextPosition: 197, flags: 0)
        _ = try fromMiddle.consume(
            SourceEvent(
                event: Event(header: header, position: 126, body: .previousGtids(next)), file: "bin.000002",
                position: 126, nextPosition: 197)
        ) { (map: TableMapEvent) throws(SourceError) -> TableSchema in
            TableSchema(name: TableName(map.schema, map.table), columns: ["id"], primaryKey: [0])
        }
        XCTAssertEqual(fromMiddle.checkpoint.mysqlGTID, next)
    }

    func testLostConnectionInsideAChunkedTransactionSkipsWhatWasHandedOut() throws {
        var assembler = TransactionAssembler(
            from: SourceCheckpoint(binlog: BinlogPosition(file: "bin.000001", offset: 4)), chunkRows: 2)
        let start = position
        let firstTry = try feed(
            &assembler, [gtid(5), event(.tableMap(map)), rows([1, 2]), rows([3, 4]), rows([5, 6])])
        XCTAssertEqual(firstTry.map(\.chunk), [0, 1])
        XCTAssertEqual(ids(firstTry), [1, 2, 3, 4])
        XCTAssertEqual(assembler.connectionLost(), 4)
        XCTAssertEqual(assembler.resume.binlog.offset, 4, "resume where the transaction started")

        // The same group read again from its start: rows 1-4 are not handed out twice.
        position = start
        let again = try feed(
            &assembler, [gtid(5), event(.tableMap(map)), rows([1, 2]), rows([3, 4]), rows([5, 6]), event(.xid(9))])
        XCTAssertEqual(ids(again), [5, 6])
        XCTAssertEqual(again.map(\.chunk), [2])
        XCTAssertEqual(again.last?.isLast, true)
        XCTAssertEqual(again.last?.checkpoint?.mariadbGTID?.description, "0-1-5")
        XCTAssertEqual(ids(firstTry + again), [1, 2, 3, 4, 5, 6])
    }

    func testUndecidedXAHoldsTheCheckpointAndCommitHandsOutItsRows() throws {
        var assembler = TransactionAssembler(
            from: SourceCheckpoint(binlog: BinlogPosition(file: "bin.000001", offset: 4)))
        let xid = XID(formatID: 1, gtrid: Array("t1".utf8), bqual: [])
        let prepareStart = position
        var out = try feed(
            &assembler,
            [
                gtid(1, flags: MariaDBGtidEvent.preparedXA, xid: xid), event(.tableMap(map)), rows([10, 11]),
                query("XA END X'7431',X'',1"),
                event(.xaPrepare(XAPrepareEvent(onePhase: false, xid: xid))),
            ])
        XCTAssertEqual(out, [])
        XCTAssertEqual(assembler.pending.map(\.xid), [xid])
        out = try feed(&assembler, [gtid(2), event(.tableMap(map)), rows([1]), event(.xid(3))])
        XCTAssertEqual(ids(out), [1])
        XCTAssertEqual(out[0].checkpoint?.binlog.offset, prepareStart, "held at the undecided PREPARE")
        XCTAssertEqual(out[0].checkpoint?.mariadbGTID, nil)
        out = try feed(
            &assembler, [gtid(3, flags: MariaDBGtidEvent.completedXA | 1, xid: xid), query("XA COMMIT X'7431',X'',1")])
        XCTAssertEqual(ids(out), [10, 11])
        XCTAssertEqual(out[0].xid, xid)
        XCTAssertEqual(out[0].checkpoint?.binlog, out[0].end)
        XCTAssertEqual(out[0].checkpoint?.mariadbGTID?.description, "0-1-3")
        XCTAssertEqual(assembler.pending, [])

        let unknown = XID(formatID: 1, gtrid: Array("zz".utf8), bqual: [])
        XCTAssertThrowsError(
            try feed(
                &assembler,
                [gtid(4, flags: MariaDBGtidEvent.completedXA | 1, xid: unknown), query("XA COMMIT X'7a7a',X'',1")])
        ) {
            XCTAssertEqual(($0 as? SourceError)?.code, .xaRowsMissing)
        }
        var lenient = TransactionAssembler(from: assembler.resume, assumeEmpty: [unknown])
        position -= 20
        let empty = try feed(
            &lenient,
            [gtid(4, flags: MariaDBGtidEvent.completedXA | 1, xid: unknown), query("XA COMMIT X'7a7a',X'',1")])
        XCTAssertEqual(empty.map(\.changes), [[]])
    }

    func testStatementsAndDumpCommandBytes() throws {
        XCTAssertEqual(StatementKind("BEGIN"), .begin)
        XCTAssertEqual(StatementKind("/* app */ COMMIT"), .commit)
        XCTAssertEqual(StatementKind("ROLLBACK TO SAVEPOINT s1"), .savepoint)
        XCTAssertEqual(StatementKind("XA COMMIT X'7431',X'',1"), .xaCommit("X'7431',X'',1"))
        XCTAssertEqual(StatementKind("insert into t values (1)"), .statementDML)
        XCTAssertEqual(StatementKind("ALTER TABLE t ADD c INT"), .other)

        XCTAssertEqual(
            ReplicationCommand.binlogDump(position: 4, flags: 1, serverID: 0x0102, file: "b.1"),
            [4, 0, 0, 0, 1, 0, 2, 1, 0, 0] + Array("b.1".utf8))
        XCTAssertEqual(
            ReplicationCommand.registerReplica(serverID: 9, host: "h", user: "", password: "", port: 3306),
            [9, 0, 0, 0, 1, 0x68, 0, 0, 0xEA, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0])
        let set = try XCTUnwrap(MySQLGTIDSet(parsing: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7"))
        let body = ReplicationCommand.binlogDumpGTID(gtids: set, flags: 0, serverID: 3)
        let encoded: [UInt8] =
            [1, 0, 0, 0, 0, 0, 0, 0]  // one sid
            + [0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62]
            + [2, 0, 0, 0, 0, 0, 0, 0]  // two intervals, end exclusive
            + [1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0] + [7, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(
            body,
            [4, 0] + [3, 0, 0, 0] + [0, 0, 0, 0] + [4, 0, 0, 0, 0, 0, 0, 0] + [UInt8(encoded.count), 0, 0, 0] + encoded)
        var reader = ByteReader(encoded)
        XCTAssertEqual(try MySQLGTIDSet.decodeEncoded(from: &reader), set, "the decoder reads back what is sent")
    }
}
