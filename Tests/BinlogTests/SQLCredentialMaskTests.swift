import Binlog
import XCTest

/// Each statement form that can carry a credential, as MariaDB and MySQL write it to the binlog.
final class SQLCredentialMaskTests: XCTestCase {
    private func assertMasked(
        _ sql: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let masked = SQLCredentialMask.mask(sql)
        XCTAssertEqual(masked, expected, file: file, line: line)
        XCTAssertFalse(masked.contains("s3cr"), "secret left in \(masked)", file: file, line: line)
    }

    func testCreateUserIdentifiedBy() {
        assertMasked(
            "CREATE USER 'app'@'%' IDENTIFIED BY 's3cret'",
            "CREATE USER 'app'@'%' IDENTIFIED BY '***'")
        assertMasked(
            "create user app@localhost identified by \"s3cret\" password expire",
            "create user app@localhost identified by '***' password expire")
    }

    func testSeveralUsersInOneStatement() {
        assertMasked(
            "CREATE USER 'a'@'h' IDENTIFIED BY 's3cr1', 'b'@'h' IDENTIFIED BY 's3cr2' COMMENT 'team b'",
            "CREATE USER 'a'@'h' IDENTIFIED BY '***', 'b'@'h' IDENTIFIED BY '***' COMMENT 'team b'")
    }

    func testAlterUserWithReplaceAndRetain() {
        assertMasked(
            "ALTER USER 'app'@'%' IDENTIFIED BY 's3cret-new' REPLACE 's3cret-old' RETAIN CURRENT PASSWORD",
            "ALTER USER 'app'@'%' IDENTIFIED BY '***' REPLACE '***' RETAIN CURRENT PASSWORD")
    }

    func testIdentifiedWithPluginByAndAs() {
        assertMasked(
            "CREATE USER u IDENTIFIED WITH 'caching_sha2_password' BY 's3cret'",
            "CREATE USER u IDENTIFIED WITH 'caching_sha2_password' BY '***'")
        assertMasked(
            "CREATE USER 'u'@'%' IDENTIFIED WITH 'mysql_native_password' AS '*s3cr94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'",
            "CREATE USER 'u'@'%' IDENTIFIED WITH 'mysql_native_password' AS '***'")
        // MySQL 8 writes caching_sha2 hashes as a hex number.
        assertMasked(
            "CREATE USER 'u'@'%' IDENTIFIED WITH 'caching_sha2_password' AS 0x2441243030352473336372",
            "CREATE USER 'u'@'%' IDENTIFIED WITH 'caching_sha2_password' AS '***'")
    }

    func testIdentifiedByPasswordHash() {
        assertMasked(
            "GRANT SELECT ON *.* TO 'r'@'%' IDENTIFIED BY PASSWORD '*s3cr'",
            "GRANT SELECT ON *.* TO 'r'@'%' IDENTIFIED BY PASSWORD '***'")
    }

    func testMariaDBIdentifiedViaUsing() {
        assertMasked(
            "ALTER USER u IDENTIFIED VIA ed25519 USING PASSWORD('s3cret') OR unix_socket",
            "ALTER USER u IDENTIFIED VIA ed25519 USING PASSWORD('***') OR unix_socket")
        assertMasked(
            "CREATE USER u IDENTIFIED VIA mysql_native_password USING '*s3cr0000'",
            "CREATE USER u IDENTIFIED VIA mysql_native_password USING '***'")
    }

    func testGrantIdentifiedBy() {
        assertMasked(
            "GRANT ALL PRIVILEGES ON payments.* TO 'svc'@'10.%' IDENTIFIED BY 's3cret' WITH GRANT OPTION",
            "GRANT ALL PRIVILEGES ON payments.* TO 'svc'@'10.%' IDENTIFIED BY '***' WITH GRANT OPTION")
    }

    func testSetPasswordForms() {
        assertMasked("SET PASSWORD = PASSWORD('s3cret')", "SET PASSWORD = PASSWORD('***')")
        assertMasked("SET PASSWORD FOR 'app'@'%' = 's3cret'", "SET PASSWORD FOR 'app'@'%' = '***'")
        assertMasked(
            "SET PASSWORD FOR app = OLD_PASSWORD('s3cret')", "SET PASSWORD FOR app = OLD_PASSWORD('***')")
        assertMasked("set password='s3cret' replace 's3cold'", "set password='***' replace '***'")
    }

    func testChangeMasterAndReplicationSource() {
        assertMasked(
            "CHANGE MASTER TO MASTER_HOST='db1', MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_PORT=3306",
            "CHANGE MASTER TO MASTER_HOST='db1', MASTER_USER='repl', MASTER_PASSWORD='***', MASTER_PORT=3306")
        assertMasked(
            "CHANGE REPLICATION SOURCE TO SOURCE_USER = 'repl', SOURCE_PASSWORD = \"s3cret\"",
            "CHANGE REPLICATION SOURCE TO SOURCE_USER = 'repl', SOURCE_PASSWORD = '***'")
        assertMasked(
            "START REPLICA USER='repl' PASSWORD='s3cret'", "START REPLICA USER='repl' PASSWORD='***'")
    }

    func testFederatedServerOptions() {
        assertMasked(
            "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h', USER 'u', PASSWORD 's3cret')",
            "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h', USER 'u', PASSWORD '***')")
    }

    func testEscapedQuotesStayInsideTheLiteral() {
        assertMasked(
            #"CREATE USER u IDENTIFIED BY 's3cr\'et'' x' COMMENT 'kept'"#,
            "CREATE USER u IDENTIFIED BY '***' COMMENT 'kept'")
        assertMasked(
            #"CREATE USER u IDENTIFIED BY "s3cr\"et"" x" COMMENT 'kept'"#,
            "CREATE USER u IDENTIFIED BY '***' COMMENT 'kept'")
        assertMasked(
            #"CREATE USER u IDENTIFIED BY 's3cr\\' COMMENT 'x'"#, "CREATE USER u IDENTIFIED BY '***' COMMENT 'x'")
    }

    func testIntroducersAndConcatenatedLiterals() {
        assertMasked(
            "CREATE USER u IDENTIFIED BY _utf8mb4's3cret' COLLATE utf8mb4_bin",
            "CREATE USER u IDENTIFIED BY '***' COLLATE utf8mb4_bin")
        assertMasked("SET PASSWORD = N's3cr' 'et'", "SET PASSWORD = '***'")
        assertMasked("SELECT PASSWORD(X'7333637265')", "SELECT PASSWORD('***')")
    }

    func testUnterminatedCredentialMasksTheRest() {
        assertMasked("CREATE USER u IDENTIFIED BY 's3cret COMMENT 'x", "CREATE USER u IDENTIFIED BY '***'x")
        assertMasked("CREATE USER u IDENTIFIED BY 's3cret", "CREATE USER u IDENTIFIED BY '***'")
    }

    func testCommentsAndVersionedComments() {
        assertMasked(
            "CREATE USER u /* by 'x' */ IDENTIFIED -- note\n BY # by\n 's3cret'",
            "CREATE USER u /* by 'x' */ IDENTIFIED -- note\n BY # by\n '***'")
        assertMasked(
            "CREATE USER u /*!80000 IDENTIFIED BY 's3cret' */", "CREATE USER u /*!80000 IDENTIFIED BY '***' */")
        assertMasked(
            "CREATE USER u /*M!100100 IDENTIFIED BY 's3cret' */", "CREATE USER u /*M!100100 IDENTIFIED BY '***' */")
    }

    func testStatementsWithoutCredentialsAreUnchanged() {
        for sql in [
            "ALTER TABLE t ADD COLUMN c INT DEFAULT 1 COMMENT 'by as using'",
            "CREATE TABLE p (id INT) PARTITION BY HASH(id) PARTITIONS 4",
            "CREATE VIEW v AS SELECT 'x' AS label FROM t ORDER BY 'x'",
            "ALTER USER u PASSWORD EXPIRE INTERVAL 90 DAY",
            "CREATE USER u IDENTIFIED BY RANDOM PASSWORD",
            "DROP USER 'app'@'%'",
            "CREATE TABLE `by` (`password` VARCHAR(10), n VARCHAR(4) DEFAULT 'Ünï')",
            "",
        ] {
            XCTAssertEqual(SQLCredentialMask.mask(sql), sql)
        }
    }

    func testIdentifiedContextEndsWithTheStatement() {
        assertMasked(
            "CREATE USER u IDENTIFIED BY 's3cret'; CREATE VIEW v AS SELECT 'shown'",
            "CREATE USER u IDENTIFIED BY '***'; CREATE VIEW v AS SELECT 'shown'")
    }

    func testEveryPrefixIsHandled() {
        let sql =
            #"ALTER USER 'a'@'h' IDENTIFIED WITH x AS _latin1'ab\'c' REPLACE "d"; "#
            + "SET PASSWORD FOR b=PASSWORD('e')"
        XCTAssertEqual(
            SQLCredentialMask.mask(sql),
            "ALTER USER 'a'@'h' IDENTIFIED WITH x AS '***' REPLACE '***'; SET PASSWORD FOR b=PASSWORD('***')")
        let bytes = Array(sql.utf8)
        for n in 0...bytes.count {
            let prefix = String(decoding: bytes[0..<n], as: UTF8.self)
            let masked = SQLCredentialMask.mask(prefix)
            XCTAssertFalse(masked.contains("ab"), "prefix \(n): \(masked)")
        }
    }
}
