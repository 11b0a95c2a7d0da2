import Binlog
import RedisCluster
import XCTest

@testable import Replication

/// `SinkCheckpoint` keeps typed GTIDs; its stored text (the Redis hash, the watermark JSON) is the
/// text older sluice versions wrote, read back unchanged. Pure: replies are built by hand.
final class SinkCheckpointTextTests: XCTestCase {
    private let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    private let key = "sluice:checkpoint:{primary}"

    /// An HGETALL reply holding `fields` as a stored hash.
    private func stored(_ fields: [(String, String)]) -> RedisReply {
        .array(fields.flatMap { [RedisReply.bulk(Array($0.0.utf8)), .bulk(Array($0.1.utf8))] })
    }

    /// The field texts an HSET of `checkpoint` writes, in order.
    private func written(_ checkpoint: SinkCheckpoint) -> [String] {
        checkpoint.hsetCommand(key: key).arguments.dropFirst(2).map { String(decoding: $0, as: UTF8.self) }
    }

    func testACheckpointStoredByAnOlderSluiceLoadsAndIsWrittenBackByteForByte() throws {
        // As 1.x wrote it: MariaDB GTIDs in two domains and no MySQL set, no server identity fields.
        let old = try XCTUnwrap(
            SinkCheckpoint.parse(
                stored([
                    ("file", "mariadb-bin.000042"), ("offset", "98765"), ("gtid", "0-1-100,1-2-7"),
                    ("time", "1700000000"), ("mysql_gtid", ""),
                ]), key: key))
        XCTAssertEqual(old.position, BinlogPosition(file: "mariadb-bin.000042", offset: 98765))
        XCTAssertEqual(old.gtid?.gtid(domain: 1), MariaDBGTID(domain: 1, serverID: 2, sequence: 7))
        XCTAssertEqual(old.gtid?.gtid(domain: 0)?.sequence, 100)
        XCTAssertNil(old.mysqlGTID)
        XCTAssertNil(old.source)
        XCTAssertEqual(
            written(old),
            [
                "file", "mariadb-bin.000042", "offset", "98765", "gtid", "0-1-100,1-2-7", "time", "1700000000",
                "mysql_gtid", "", "server_id", "", "server_uuid", "", "flavor", "",
            ])

        // As the MySQL flavour writes it: a multi-interval executed set and the server's identity.
        let setText = "\(uuid):1-100:105-110,\(uuid.replacingOccurrences(of: "3e11", with: "4f22")):1-3"
        let fields = [
            ("file", "binlog.000003"), ("offset", "4"), ("gtid", ""), ("time", "1700000123"),
            ("mysql_gtid", setText), ("server_id", "7"), ("server_uuid", uuid), ("flavor", "mysql"),
        ]
        let mysql = try XCTUnwrap(SinkCheckpoint.parse(stored(fields), key: key))
        XCTAssertNil(mysql.gtid)
        XCTAssertEqual(mysql.mysqlGTID, MySQLGTIDSet(parsing: setText))
        XCTAssertTrue(mysql.hasGTID)
        XCTAssertEqual(mysql.source, SourceIdentity(serverID: 7, serverUUID: uuid, flavor: "mysql"))
        XCTAssertEqual(written(mysql), fields.flatMap { [$0.0, $0.1] })
    }

    func testAnAbsentKeyIsNoCheckpointAndAMalformedGTIDIsRefusedNamingTheKey() throws {
        XCTAssertNil(try SinkCheckpoint.parse(.array([]), key: key))
        let bad = stored([("file", "bin.000001"), ("offset", "4"), ("gtid", "0-1-x"), ("time", "1")])
        XCTAssertThrowsError(try SinkCheckpoint.parse(bad, key: key)) { error in
            let e = error as? RedisError
            XCTAssertEqual(e?.code, .protocolViolation)
            XCTAssertTrue(e?.description.contains(key) == true, "\(error)")
            XCTAssertTrue(e?.description.contains("gtid `0-1-x`") == true, "\(error)")
        }
        XCTAssertNil(
            SinkCheckpoint(
                position: BinlogPosition(file: "b", offset: 4), gtidText: "", commitTime: 0, mysqlGTIDText: "nope:1"))
    }

    func testEmptyGTIDStatesAreNoGTIDAndComparisonsUseTheTypedValues() throws {
        let at = BinlogPosition(file: "bin.000002", offset: 500)
        let empty = SinkCheckpoint(position: at, gtid: MariaDBGTIDPosition(), commitTime: 0, mysqlGTID: MySQLGTIDSet())
        XCTAssertEqual(empty, SinkCheckpoint(position: at, gtid: nil, commitTime: 0))
        XCTAssertFalse(empty.hasGTID)
        XCTAssertEqual(empty.gtidText, "")
        var cleared = SinkCheckpoint(position: at, gtid: MariaDBGTIDPosition(parsing: "0-1-5"), commitTime: 0)
        cleared.gtid = MariaDBGTIDPosition()
        cleared.mysqlGTID = MySQLGTIDSet()
        XCTAssertEqual(cleared, empty, "an empty state set later is nil too")

        func cp(_ offset: UInt64, _ gtids: [MariaDBGTID]) -> SinkCheckpoint {
            SinkCheckpoint(
                position: BinlogPosition(file: "bin.000001", offset: offset), gtid: MariaDBGTIDPosition(gtids),
                commitTime: 0)
        }
        let d0 = MariaDBGTID(domain: 0, serverID: 1, sequence: 9)
        let d1 = MariaDBGTID(domain: 1, serverID: 1, sequence: 3)
        // The text order of domains does not matter to the value: the stored text is sorted.
        XCTAssertEqual(cp(1, [d1, d0]), cp(1, [d0, d1]))
        XCTAssertEqual(cp(1, [d1, d0]).gtidText, "0-1-9,1-1-3")
        // GTIDs decide over a larger offset; without GTIDs on both sides the position decides.
        XCTAssertTrue(cp(900, [d0]).isBehind(cp(10, [d0, d1])))
        XCTAssertFalse(cp(10, [d0, d1]).isBehind(cp(900, [d0])))
        XCTAssertTrue(cp(10, []).isBehind(cp(900, [d0])))
    }

    func testTheWatermarkJSONKeepsItsTextAndRefusesAMalformedGTID() throws {
        let text =
            #"{"file":"bin.000007","offset":1234,"gtid":"0-1-77","mysql_gtid":"","commit_time":1700000000,"as_of_ms":1700000000500}"#
        let point = try XCTUnwrap(DRWatermarkPoint(json: Array(text.utf8)))
        XCTAssertEqual(point.checkpoint.gtid, MariaDBGTIDPosition(parsing: "0-1-77"))
        XCTAssertEqual(point.json, text)
        XCTAssertEqual(point.positionText, "bin.000007:1234 gtid 0-1-77")
        XCTAssertNil(DRWatermarkPoint(json: Array(text.replacingOccurrences(of: "0-1-77", with: "0-1").utf8)))
    }
}
