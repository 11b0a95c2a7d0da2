import Binlog
import MySQLSource
import Ops
import XCTest

@testable import Replication

/// Guarantee 8: a checkpoint resumes by file:offset only on the server that wrote it.
final class ResumePlanTests: XCTestCase {
    private let primary = SourceIdentity(serverID: 1, flavor: "mariadb")
    private let promoted = SourceIdentity(serverID: 2, flavor: "mariadb")
    private let at = BinlogPosition(file: "mariadb-bin.000002", offset: 4321)

    private func checkpoint(gtid: String, mysqlGTID: String = "", source: SourceIdentity?) -> SinkCheckpoint {
        SinkCheckpoint(
            position: at, gtid: MariaDBGTIDPosition(parsing: gtid), commitTime: 1_700_000_000,
            mysqlGTID: MySQLGTIDSet(parsing: mysqlGTID), source: source)
    }

    func testTheSameServerResumesAtTheFilePosition() throws {
        let plan = try ResumePlan(
            configured: .checkpointOrEarliest, resume: checkpoint(gtid: "0-1-9", source: primary), server: primary)
        XCTAssertEqual(plan, ResumePlan(start: .position(at), basis: .position))
    }

    func testAnotherServerResumesByTheGTIDPositionOfEveryDomain() throws {
        let plan = try ResumePlan(
            configured: .checkpointOrEnd, resume: checkpoint(gtid: "0-1-9,1-1-3", source: primary), server: promoted)
        XCTAssertEqual(plan.basis, .gtid)
        XCTAssertEqual(plan.start.description, "gtid:0-1-9,1-1-3")
    }

    func testAnotherMySQLServerResumesByTheExecutedSet() throws {
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let old = SourceIdentity(serverID: 1, serverUUID: uuid, flavor: "mysql")
        let new = SourceIdentity(serverID: 1, serverUUID: "4e11fa47-71ca-11e1-9e33-c80aa9429562", flavor: "mysql")
        let plan = try ResumePlan(
            configured: .checkpointOrEarliest, resume: checkpoint(gtid: "", mysqlGTID: "\(uuid):1-42", source: old),
            server: new)
        XCTAssertEqual(plan.start, .mysqlGTID(try XCTUnwrap(MySQLGTIDSet(parsing: "\(uuid):1-42"))))
    }

    func testAnotherServerWithoutGTIDIsRefusedWithWhyAndWhatToDo() {
        XCTAssertThrowsError(
            try ResumePlan(
                configured: .checkpointOrEarliest, resume: checkpoint(gtid: "", source: primary), server: promoted)
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "the checkpoint at mariadb-bin.000002:4321 was written reading mariadb server_id 1, but [source] now "
                    + "reaches mariadb server_id 2 and the checkpoint holds no GTID state to resume from; a binlog "
                    + "file:offset of one server means nothing in another's binlog, so sluice will not resume there. "
                    + "Either point [source] back at server_id 1, or move every sink's checkpoint to the matching place "
                    + "on the new server with `sluice checkpoint set --config FILE --sink NAME --position FILE:POS|GTID` "
                    + "(`sluice checkpoint show` lists the sinks), or reload the clusters with `sluice snapshot` "
                    + "(docs/failover.md)")
        }
    }

    func testAnotherFlavourIsRefusedEvenWithAGTID() {
        let mysql = SourceIdentity(serverID: 2, serverUUID: "4e11fa47-71ca-11e1-9e33-c80aa9429562", flavor: "mysql")
        XCTAssertThrowsError(try ResumePlan(resume: checkpoint(gtid: "0-1-9", source: primary), server: mysql)) {
            XCTAssertTrue("\($0)".contains("GTIDs of one flavour mean nothing to the other"), "\($0)")
        }
    }

    func testACheckpointNamingNoServerKeepsItsPositionAndNoCheckpointTakesTheConfiguredStart() throws {
        XCTAssertEqual(
            try ResumePlan(
                configured: .checkpointOrEarliest, resume: checkpoint(gtid: "", source: nil), server: promoted),
            ResumePlan(start: .position(at), basis: .unnamedPosition))
        XCTAssertEqual(
            try ResumePlan(configured: .checkpointOrEnd, resume: nil, server: promoted),
            ResumePlan(start: .current, basis: .configured))
        XCTAssertEqual(
            try ResumePlan(configured: .earliest, resume: checkpoint(gtid: "0-1-9", source: primary), server: promoted),
            ResumePlan(start: .earliest, basis: .configured))
    }

    func testTheSameServerUUIDDecidesOnMySQL() {
        let a = SourceIdentity(serverID: 7, serverUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562", flavor: "mysql")
        var b = a
        b.serverUUID = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
        XCTAssertTrue(a.isSameServer(as: a))
        XCTAssertFalse(a.isSameServer(as: b), "a rebuilt server with the same server_id is another server")
    }
}
