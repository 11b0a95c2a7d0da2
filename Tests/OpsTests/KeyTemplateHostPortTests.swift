import XCTest

@testable import Ops

final class KeyTemplateHostPortTests: XCTestCase {
    private func template(_ text: String) -> Result<KeyTemplate, KeyTemplate.ParseError> { KeyTemplate.parse(text) }

    func testKeyTemplates() throws {
        let parsed = try template("{tenant}:acct:{{{id}}}").get()
        XCTAssertEqual(parsed.parts, [.column("tenant"), .literal(":acct:{"), .column("id"), .literal("}")])
        XCTAssertEqual(parsed.columns, ["tenant", "id"])
        XCTAssertEqual(parsed.render { ["tenant": "t1", "id": "9"][$0] }, "t1:acct:{9}")
        XCTAssertNil(parsed.render { $0 == "id" ? "9" : nil }, "a missing column gives no key")
        XCTAssertEqual(try template("{{literal}}:{id}").get().render { _ in "1" }, "{literal}:1")

        XCTAssertEqual(template("a:{}"), .failure(.init(message: "'{}' in key template \"a:{}\" is not a column name")))
        XCTAssertEqual(
            template("a:{b c}"), .failure(.init(message: "'{b c}' in key template \"a:{b c}\" is not a column name")))
        XCTAssertEqual(
            template("a}:{id}"),
            .failure(
                .init(
                    message: "unmatched '}' in key template \"a}:{id}\" (write '}}' for a literal brace)")))
    }

    func testHostPort() {
        XCTAssertEqual(try HostPort.parse("db.internal:3306").get(), HostPort(host: "db.internal", port: 3306))
        XCTAssertEqual(try HostPort.parse("[fe80::1]:6379").get(), HostPort(host: "fe80::1", port: 6379))
        XCTAssertEqual(HostPort(host: "fe80::1", port: 6379).description, "[fe80::1]:6379")
        for bad in ["db", ":1", "db:", "db:x", "db:65536", "::1:80", "[::1]", "a b:1"] {
            XCTAssertThrowsError(try HostPort.parse(bad).get(), bad)
        }
    }
}
