import Binlog
import Ops
import XCTest

@testable import Replication

/// The pure parts of the incident commands: key templates read backwards, the chunk queries,
/// the conversion of the server's text to the decoder's values, the difference lines.
final class IncidentPureTests: XCTestCase {
    private func template(_ source: String) throws -> KeyTemplate {
        try KeyTemplate.parse(source).get()
    }

    func testKeyPatternGlobEscapesLiteralsAndSplitsKeysBack() throws {
        let simple = KeyPattern(try template("account:{id}"))
        XCTAssertEqual(simple.glob, "account:*")
        XCTAssertEqual(simple.split("account:42"), ["id": "42"])
        XCTAssertNil(simple.split("acct:42"))
        let two = KeyPattern(try template("t[1]:{a}*{b}:x"))
        XCTAssertEqual(two.glob, "t\\[1\\]:*\\**:x")
        XCTAssertEqual(two.split("t[1]:p*q:x"), ["a": "p", "b": "q"])
        XCTAssertNil(two.split("t[1]:p*q:y"))
        XCTAssertNil(KeyPattern(try template("{a}{b}")).split("12"), "adjacent columns have no boundary")
        XCTAssertEqual(KeyPattern(try template("{a}:{a}")).split("1:1"), ["a": "1"])
        XCTAssertNil(KeyPattern(try template("{a}:{a}")).split("1:2"))
        XCTAssertGreaterThan(
            KeyPattern(try template("account:{id}:limits")).literalLength, simple.literalLength)
    }

    func testChunkQueriesFollowThePrimaryKeyWithoutRowComparisons() {
        let table = SourceTable(
            database: "db", table: "t",
            columns: [
                SourceTable.Column(name: "a", kind: .signed),
                SourceTable.Column(name: "b", kind: .binary(geometry: false)),
                SourceTable.Column(name: "c", kind: .float),
            ],
            primaryKey: [0, 1])
        XCTAssertEqual(
            table.chunkQuery(after: nil, limit: 10),
            "SELECT `a`, HEX(`b`), CAST(`c` AS DOUBLE) FROM `db`.`t` ORDER BY `a`, `b` LIMIT 10")
        XCTAssertEqual(
            table.chunkQuery(after: ["5", "0AFF"], limit: 10),
            "SELECT `a`, HEX(`b`), CAST(`c` AS DOUBLE) FROM `db`.`t` WHERE ((`a` > '5') OR (`a` = '5' AND "
                + "`b` > UNHEX('0AFF'))) ORDER BY `a`, `b` LIMIT 10")
        XCTAssertEqual(SourceTable.literal("it's a \\\\ test"), "'it''s a \\\\\\\\ test'")
        XCTAssertEqual(SourceTable.quote("we`ird"), "`we``ird`")
    }

    func testServerTextBecomesTheDecodersValues() throws {
        func value(_ text: String, _ kind: SourceTable.Kind) throws -> ColumnValue {
            try SourceTable.value(text, SourceTable.Column(name: "c", kind: kind), table: "db.t")
        }
        XCTAssertEqual(try value("-5", .signed), .int(-5))
        XCTAssertEqual(try value("18446744073709551615", .unsigned), .uint(UInt64.max))
        XCTAssertEqual(try value("1.2345677614212036", .float), .float(Float(1.2345677614212036)))
        XCTAssertEqual(try value("0AFF", .binary(geometry: false)), .bytes([0x0A, 0xFF]))
        XCTAssertEqual(try value("641", .bit), .bit(641))
        XCTAssertEqual(try value("a,c", .set), .set(bits: 0, names: ["a", "c"]))
        XCTAssertEqual(try value("", .set), .set(bits: 0, names: []))
        XCTAssertEqual(try value("2026-01-02 03:04:05.123456", .text), .string("2026-01-02 03:04:05.123456"))
        XCTAssertThrowsError(try value("x", .signed)) { error in
            XCTAssertEqual(
                "\(error)", "column 'c' of db.t: the server sent 'x' for a signed")
        }
        XCTAssertNil(SourceTable.hexBytes("ABC"))
        XCTAssertNil(SourceTable.hexBytes("ZZ"))
        XCTAssertEqual(SourceTable.kind(dataType: "int", columnType: "int(10) unsigned"), .unsigned)
        XCTAssertEqual(SourceTable.kind(dataType: "longblob", columnType: "longblob"), .binary(geometry: false))
        XCTAssertEqual(SourceTable.kind(dataType: "datetime", columnType: "datetime(6)"), .text)
    }

    func testDifferenceLinesNameKeyColumnAndBothValues() {
        XCTAssertEqual(
            VerifyDifference(key: "account:3", kind: .value, column: "balance", mysql: "10.50", redis: "0.01")
                .description,
            "account:3: balance MySQL 10.50, Redis 0.01")
        XCTAssertEqual(
            VerifyDifference(key: "k", kind: .value, column: "owner", mysql: nil, redis: "x").description,
            "k: owner MySQL (none), Redis x")
        XCTAssertEqual(
            VerifyDifference(key: "k", kind: .version, column: "ver", mysql: "2", redis: nil).description,
            "k: ver MySQL 2, Redis (none)")
        XCTAssertEqual(VerifyDifference(key: "k", kind: .missing).description, "k: missing in Redis")
        XCTAssertEqual(VerifyDifference(key: "k", kind: .extra).description, "k: no row in MySQL, present in Redis")
    }

    func testSnapshotRowsGetABinlogVersionBetweenTheSnapshotsChangesAndTheNext() throws {
        let snapshot = SourceSnapshot(position: BinlogPosition(file: "bin.000002", offset: 900), gtid: "0-1-41,1-2-7")
        XCTAssertEqual(snapshot.sequence(domain: 0), 41)
        XCTAssertEqual(snapshot.sequence(domain: 1), 7)
        XCTAssertEqual(snapshot.sequence(domain: 5), 0)
        let mapping = TableMapping(
            database: "db", table: "t", key: try template("k:{id}"), shape: .hash(columns: []),
            version: .binlog(domain: 0))
        func version(_ gtid: MariaDBGTID, ordinal: Int) throws -> String {
            try mapping.writes(
                for: RowChange(
                    database: "db", table: "t", kind: .insert, columns: ["id"], after: [.int(1)], gtid: gtid,
                    ordinal: ordinal))[0].version
        }
        let loaded = try version(snapshot.versionGTID(domain: 0), ordinal: VersionSource.maxOrdinal)
        XCTAssertEqual(loaded, "41999999999")
        let lastBefore = try version(MariaDBGTID(domain: 0, serverID: 1, sequence: 41), ordinal: 5_000)
        let firstAfter = try version(MariaDBGTID(domain: 0, serverID: 1, sequence: 42), ordinal: 0)
        XCTAssertEqual(lastBefore, "41000005000")
        XCTAssertLessThan(lastBefore, loaded, "same length: the byte order is the numeric order")
        XCTAssertEqual(firstAfter, "42000000000")
        XCTAssertGreaterThan(firstAfter, loaded)
    }
}
