import XCTest

@testable import Binlog

/// `sluice binlog dump --format text` prints statement events with their credentials masked, as
/// the daemon's log does: a dump of a production binlog handed to someone must not carry passwords.
final class EventTextMaskTests: XCTestCase {
    func testQueryLineMasksTheIdentifiedByLiteral() {
        let sql = "CREATE USER 'app'@'%' IDENTIFIED BY 's3cret-pw'"
        let query = QueryEvent(
            threadID: 7, executionTime: 0, errorCode: 0, schema: "payments", status: QueryStatusVariables(),
            sql: Array(sql.utf8))
        let line = EventText.details(.query(query))
        XCTAssertFalse(line.contains("s3cret-pw"), line)
        XCTAssertTrue(line.contains("CREATE USER 'app'@'%' IDENTIFIED BY '***'"), line)
        XCTAssertTrue(line.hasPrefix("thread=7 exec_time=0 error=0 db="), line)
    }
}
