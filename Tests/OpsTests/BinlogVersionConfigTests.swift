import XCTest

@testable import Ops

/// `version = "binlog"` needs MariaDB GTIDs; `config check` refuses it for a MySQL source, with
/// the reason and the alternative, explicit or by default.
final class BinlogVersionConfigTests: ConfigTestCase {
    private func config(flavor: String, mappings: String) -> String {
        """
        [source]
        user = "repl"
        server_id = 7
        flavor = "\(flavor)"

        [redis.primary]
        seeds = ["127.0.0.1:7000"]

        """ + mappings
    }

    private let mappings = """
        [[mapping]]
        table = "pay.accounts"
        key = "acct:{id}"
        version = "binlog"
        [[mapping]]
        table = "pay.merchants"
        key = "m:{id}"
        [[mapping]]
        table = "pay.orders"
        key = "o:{id}"
        version = "column"
        version_column = "version"

        """

    func testMySQLSourceRefusesBinlogVersionsExplicitOrDefault() throws {
        let found = try errors(config(flavor: "mysql", mappings: mappings))
        XCTAssertEqual(found.count, 2, "\(found)")
        XCTAssertTrue(found[0].hasPrefix("sluice.toml:11: mapping[0].version: is \"binlog\", which needs MariaDB GTIDs"), found[0])
        XCTAssertTrue(found[1].hasPrefix("sluice.toml:12: mapping[1].version: defaults to \"binlog\""), found[1])
        for message in found {
            XCTAssertTrue(message.contains("set version = \"column\" with version_column"), message)
        }
    }

    func testMariaDBAndAutoSourcesKeepBinlogVersions() throws {
        XCTAssertEqual(try valid(config(flavor: "mariadb", mappings: mappings)).config.mappings.count, 3)
        XCTAssertEqual(try valid(config(flavor: "auto", mappings: mappings)).config.mappings.count, 3)
    }
}
