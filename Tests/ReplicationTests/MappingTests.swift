import Binlog
import Ops
import RedisCluster
import XCTest

@testable import Replication

final class MappingTests: XCTestCase {
    private func template(_ s: String) throws -> KeyTemplate {
        switch KeyTemplate.parse(s) {
        case .success(let t): return t
        case .failure(let e): throw e
        }
    }

    private let columns = ["account_id", "balance", "currency", "version", "note"]
    private func row(_ id: Int64, _ balance: String, version: Int64, note: ColumnValue = .null) -> [ColumnValue] {
        [.int(id), .decimal(balance), .string("EUR"), .int(version), note]
    }

    private func change(
        _ kind: RowChange.Kind, before: [ColumnValue]? = nil, after: [ColumnValue]? = nil,
        gtid: MariaDBGTID? = MariaDBGTID(domain: 0, serverID: 1, sequence: 42), ordinal: Int = 0
    ) -> RowChange {
        RowChange(
            database: "pay", table: "accounts", kind: kind, columns: columns, before: before, after: after,
            gtid: gtid, ordinal: ordinal, position: BinlogPosition(file: "bin.000003", offset: 1234))
    }

    func testHashOfAllColumnsSkipsNullsAndUsesTheVersionColumn() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .hash(columns: []), version: .column("version"))
        let w = try m.writes(for: change(.insert, after: row(7, "10.50", version: 3)))
        XCTAssertEqual(
            w,
            [
                VersionedWrite(
                    key: "account:7", version: "3",
                    value: .hash(
                        [
                            .init("account_id", "7"), .init("balance", "10.50"), .init("currency", "EUR"),
                            .init("version", "3"),
                        ], removing: [Array("note".utf8)]))
            ])
    }

    func testAColumnNamedLikeTheVersionFieldStopsAHashRow() throws {
        let m = TableMapping(
            database: "pay", table: "odd", key: try template("odd:{id}"), shape: .hash(columns: []),
            version: .column("version"))
        let c = RowChange(
            database: "pay", table: "odd", kind: .insert, columns: ["id", "sluice:v", "version"], before: nil,
            after: [.int(1), .string("x"), .int(2)], gtid: nil, ordinal: 0,
            position: BinlogPosition(file: "bin.000003", offset: 99))
        XCTAssertThrowsError(try m.writes(for: c)) { e in
            guard let e = e as? MappingError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.code, .reservedField)
            XCTAssertEqual(e.table, "pay.odd")
            XCTAssertTrue(e.message.contains("'sluice:v'"), e.message)
        }
        // The same table as a JSON string is fine: the version lives in the version key there.
        let json = TableMapping(
            database: "pay", table: "odd", key: try template("odd:{id}"), shape: .json(columns: []),
            version: .column("version"))
        XCTAssertEqual(try json.writes(for: c).map(\.key), [Array("odd:1".utf8)])
    }

    func testJSONDiffInAMappedColumnStopsTheRowButAnUnmappedOneDoesNot() throws {
        let diff = ColumnValue.jsonDiff([JSONDiff(.replace, path: "$.a", value: "5")])
        let all = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .hash(columns: []), version: .column("version"))
        XCTAssertThrowsError(try all.writes(for: change(.update, before: row(7, "1.00", version: 3),
                                                         after: row(7, "1.00", version: 4, note: diff)))) { e in
            guard let e = e as? MappingError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.code, .partialValue)
            XCTAssertEqual(
                e.description,
                "mapping of pay.accounts at bin.000003:1234 failed: column 'note' carries a JSON diff, not the document; "
                    + "run the source with binlog_row_value_options='' so mapped JSON columns are logged whole")
        }
        let some = TableMapping(
            database: "pay", table: "accounts", key: try template("balance:{account_id}"),
            shape: .string(column: "balance"), version: .column("version"))
        let w = try some.writes(for: change(.update, before: row(7, "1.00", version: 3),
                                            after: row(7, "2.00", version: 4, note: diff)))
        XCTAssertEqual(w, [VersionedWrite(key: "balance:7", version: "4", value: .string(Array("2.00".utf8)))])
    }

    func testSelectedColumnsJSONAndHashTagLiteralBraces() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("acct:{{{account_id}}}:json"),
            shape: .json(columns: ["balance", "note"]), ttlSeconds: 30, version: .column("version"))
        let w = try m.writes(
            for: change(
                .update, before: row(7, "1.00", version: 3), after: row(7, "2.00", version: 4, note: .string("a \"q\""))
            ))
        XCTAssertEqual(
            w,
            [
                VersionedWrite(
                    key: "acct:{7}:json", version: "4",
                    value: .string(Array(#"{"balance":"2.00","note":"a \"q\""}"#.utf8)), ttlMilliseconds: 30_000)
            ])
        XCTAssertTrue(HashSlot.hasHashTag(w[0].key))
    }

    func testStringShapeAndNullValue() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("balance:{account_id}"),
            shape: .string(column: "balance"), version: .column("version"))
        XCTAssertEqual(
            try m.writes(for: change(.insert, after: row(9, "-0.01", version: 1))),
            [VersionedWrite(key: "balance:9", version: "1", value: .string(Array("-0.01".utf8)))])
        let n = TableMapping(
            database: "pay", table: "accounts", key: try template("note:{account_id}"),
            shape: .string(column: "note"), version: .column("version"))
        XCTAssertEqual(
            try n.writes(for: change(.insert, after: row(9, "0", version: 1))),
            [VersionedWrite(key: "note:9", version: "1", value: .string(nil))])
    }

    func testDeleteCarriesTheBeforeVersionPlusOne() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .hash(columns: []), version: .column("version"))
        XCTAssertEqual(
            try m.writes(for: change(.delete, before: row(7, "1", version: 9))),
            [VersionedWrite(key: "account:7", version: "10", value: .delete)])
        var big = row(7, "1", version: 0)
        big[3] = .uint(UInt64.max)
        XCTAssertEqual(try m.writes(for: change(.delete, before: big)).first?.version, "18446744073709551616")
        XCTAssertEqual(VersionSource.plusOne("999"), "1000")
        XCTAssertEqual(VersionSource.plusOne("0"), "1")
    }

    func testUpdateThatChangesTheKeyDeletesTheOldKey() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .string(column: "currency"), version: .column("version"))
        let w = try m.writes(for: change(.update, before: row(7, "1", version: 2), after: row(8, "1", version: 3)))
        XCTAssertEqual(
            w,
            [
                VersionedWrite(key: "account:7", version: "3", value: .delete),
                VersionedWrite(key: "account:8", version: "3", value: .string(Array("EUR".utf8))),
            ])
    }

    func testBinlogVersionIsSequenceThenOrdinalAndRefusesOtherDomains() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .string(column: "balance"), version: .binlog(domain: 0))
        let a = try m.writes(for: change(.insert, after: row(1, "1", version: 0), ordinal: 5))[0].version
        XCTAssertEqual(a, "42000000005")
        // A later transaction beats any ordinal of an earlier one, across file rotation: the file is not involved.
        var later = change(
            .insert, after: row(1, "1", version: 0), gtid: MariaDBGTID(domain: 0, serverID: 2, sequence: 43), ordinal: 0
        )
        later.position = BinlogPosition(file: "bin.000001", offset: 4)
        let b = try m.writes(for: later)[0].version
        XCTAssertEqual(b, "43000000000")
        XCTAssertTrue(b.count > a.count || (b.count == a.count && b > a))
        XCTAssertThrowsError(
            try m.writes(
                for: change(
                    .insert, after: row(1, "1", version: 0),
                    gtid: MariaDBGTID(domain: 1, serverID: 1, sequence: 50)))
        ) { e in
            XCTAssertEqual((e as? MappingError)?.code, .noBinlogVersion)
            XCTAssertTrue("\(e)".contains("pay.accounts at bin.000003:1234"), "\(e)")
        }
        XCTAssertThrowsError(try m.writes(for: change(.insert, after: row(1, "1", version: 0), gtid: nil)))
    }

    func testErrorsNameTheProblem() throws {
        let m = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{account_id}"),
            shape: .hash(columns: ["missing"]), version: .column("version"))
        XCTAssertThrowsError(try m.writes(for: change(.insert, after: row(1, "1", version: 1)))) { e in
            XCTAssertEqual((e as? MappingError)?.code, .unknownColumn)
        }
        let k = TableMapping(
            database: "pay", table: "accounts", key: try template("account:{note}"),
            shape: .hash(columns: []), version: .column("version"))
        XCTAssertThrowsError(try k.writes(for: change(.insert, after: row(1, "1", version: 1)))) { e in
            XCTAssertEqual((e as? MappingError)?.code, .nullKeyColumn)
        }
        XCTAssertThrowsError(try k.writes(for: change(.insert, after: row(1, "1", version: -3, note: .string("x"))))) {
            e in
            XCTAssertEqual((e as? MappingError)?.code, .badVersion)
        }
        XCTAssertThrowsError(try k.writes(for: change(.delete, after: row(1, "1", version: 1)))) { e in
            XCTAssertEqual((e as? MappingError)?.code, .missingImage)
        }
    }

    func testValueText() {
        XCTAssertEqual(RedisValueText.text(.int(-5)), "-5")
        XCTAssertEqual(RedisValueText.text(.uint(UInt64.max)), "18446744073709551615")
        XCTAssertEqual(RedisValueText.text(.decimal("-12.340")), "-12.340")
        XCTAssertEqual(RedisValueText.text(.double(0.1)), "0.1")
        XCTAssertEqual(RedisValueText.text(.date(MySQLDate(year: 2024, month: 2, day: 29))), "2024-02-29")
        XCTAssertEqual(
            RedisValueText.text(
                .datetime(
                    MySQLDateTime(
                        year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5,
                        microseconds: 120_000, fsp: 3))), "2024-01-02 03:04:05.120")
        XCTAssertEqual(
            RedisValueText.text(.timestamp(MySQLTimestamp(seconds: 86_401, microseconds: 0, fsp: 0))),
            "1970-01-02 00:00:01")
        XCTAssertEqual(RedisValueText.text(.bytes([0, 255, 1])), "AP8B")
        XCTAssertEqual(RedisValueText.text(.enumValue(index: 2, name: "open")), "open")
        XCTAssertEqual(RedisValueText.text(.set(bits: 5, names: ["a", "c"])), "a,c")
        XCTAssertEqual(RedisValueText.text(.set(bits: 5, names: nil)), "5")
        XCTAssertEqual(RedisValueText.text(.json(#"{"a":1}"#)), #"{"a":1}"#)
        XCTAssertNil(RedisValueText.text(.null))
    }
}
