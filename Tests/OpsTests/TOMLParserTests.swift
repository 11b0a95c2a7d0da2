import XCTest

@testable import Ops

final class TOMLParserTests: XCTestCase {
    private func parse(_ text: String) throws -> TOMLTable {
        switch TOMLParser.parse(text, file: "t.toml") {
        case .success(let table): return table
        case .failure(let errors): throw errors
        }
    }

    private func errors(_ text: String) -> [String] {
        switch TOMLParser.parse(text, file: "t.toml") {
        case .success: return []
        case .failure(let errors): return errors.errors.map(\.description)
        }
    }

    private func table(_ value: TOMLValue?) -> TOMLTable? {
        if case .table(let table)? = value?.content { return table }
        return nil
    }

    func testValuesTablesAndLines() throws {
        let root = try parse(
            """
            # comment
            name = "a\\tb\\u00e9\\U0001F600\\"" # trailing comment
            path = 'C:\\no\\escapes'
            count = 1_000_000
            negative = -42
            hex = 0xff
            ratio = 2.5
            big = 1e3
            on = true
            list = [
              "x", # inside
              "y",
            ]
            nested = [[1, 2], []]
            inline = { mode = "required", deep.key = 1 }

            [source]
            host = "db"
            tls.mode = "required"

            [a.b]
            c = 1

            [[mapping]]
            table = "p.a"
            [[mapping]]
            table = "p.b"
            """)
        XCTAssertEqual(root["name"], TOMLValue(.string("a\tbé😀\""), line: 2))
        XCTAssertEqual(root["path"], TOMLValue(.string("C:\\no\\escapes"), line: 3))
        XCTAssertEqual(root["count"], TOMLValue(.integer(1_000_000), line: 4))
        XCTAssertEqual(root["negative"]?.content, .integer(-42))
        XCTAssertEqual(root["hex"]?.content, .integer(255))
        XCTAssertEqual(root["ratio"]?.content, .float(2.5))
        XCTAssertEqual(root["big"]?.content, .float(1000))
        XCTAssertEqual(root["on"]?.content, .boolean(true))
        XCTAssertEqual(
            root["list"],
            TOMLValue(.array([TOMLValue(.string("x"), line: 11), TOMLValue(.string("y"), line: 12)]), line: 10))
        XCTAssertEqual(
            root["nested"]?.content,
            .array([
                TOMLValue(.array([TOMLValue(.integer(1), line: 14), TOMLValue(.integer(2), line: 14)]), line: 14),
                TOMLValue(.array([]), line: 14),
            ]))
        let inline = try XCTUnwrap(table(root["inline"]))
        XCTAssertEqual(inline["mode"]?.content, .string("required"))
        XCTAssertEqual(table(inline["deep"])?["key"]?.content, .integer(1))
        let source = try XCTUnwrap(table(root["source"]))
        XCTAssertEqual(source.line, 17)
        XCTAssertEqual(source.keys, ["host", "tls"])
        XCTAssertEqual(table(source["tls"])?["mode"], TOMLValue(.string("required"), line: 19))
        XCTAssertEqual(table(table(root["a"])?["b"])?["c"]?.content, .integer(1))
        guard case .array(let mappings)? = root["mapping"]?.content else { return XCTFail("mapping is not an array") }
        XCTAssertEqual(mappings.map(\.line), [24, 26])
        XCTAssertEqual(table(mappings[1])?["table"], TOMLValue(.string("p.b"), line: 27))
        XCTAssertEqual(
            root.keys,
            [
                "name", "path", "count", "negative", "hex", "ratio", "big", "on", "list", "nested",
                "inline", "source", "a", "mapping",
            ])
    }

    func testSubTableUnderArrayOfTablesAndImplicitParent() throws {
        let root = try parse(
            """
            [a.b]
            x = 1
            [a]
            y = 2
            [[m]]
            k = 1
            [m.sub]
            z = 3
            """)
        XCTAssertEqual(table(root["a"])?.keys, ["b", "y"])
        guard case .array(let items)? = root["m"]?.content else { return XCTFail() }
        XCTAssertEqual(table(table(items.first)?["sub"])?["z"]?.content, .integer(3))
    }

    func testSyntaxErrors() {
        let cases: [(String, String)] = [
            ("a = \"open\nb = 1", "t.toml:1: unterminated string"),
            ("\n\na = 'open", "t.toml:3: unterminated string"),
            ("a = [1, 2\n", "t.toml:1: unterminated array"),
            ("a = [1 2]", "t.toml:1: expected ',' or ']' in array, found '2'"),
            ("a = localhost", "t.toml:1: expected a value, found 'localhost' (strings need quotes)"),
            ("a = 1979-05-27", "t.toml:1: dates and times are not supported; quote the value: \"1979-05-27\""),
            ("a = 01", "t.toml:1: invalid number '01'"),
            ("a = 1__0", "t.toml:1: invalid number '1__0'"),
            ("a = 1_", "t.toml:1: invalid number '1_'"),
            ("a = \"\\q\"", "t.toml:1: unknown escape '\\q' in string"),
            ("a = \"\\u12\"", "t.toml:1: \\u escape needs 4 hexadecimal digits"),
            (
                "a = \"\"\"x\"\"\"",
                "t.toml:1: multi-line strings (\"\"\") are not supported; use a one-line string with \\n escapes"
            ),
            ("a = 1 b = 2", "t.toml:1: expected the end of the line after a value, found 'b'"),
            ("a =", "t.toml:1: expected a value after '='"),
            ("a 1", "t.toml:1: expected '=' after key 'a', found '1'"),
            ("[a\nx = 1", "t.toml:1: expected ']' to close the table header, found the end of the line"),
            ("[a] x = 1", "t.toml:1: expected the end of the line after a table header, found 'x'"),
            ("= 1", "t.toml:1: expected a key, found '='"),
            ("a = \"x\u{1}\"", "t.toml:1: control character in string"),
        ]
        for (text, message) in cases {
            XCTAssertEqual(errors(text), [message], text)
        }
    }

    func testDuplicatesAreAllReported() {
        XCTAssertEqual(
            errors(
                """
                [source]
                port = 1
                port = 2
                [redis]
                [source]
                host = "a"
                host = "b"
                [[redis]]
                x.y = 1
                x = 2
                """),
            [
                "t.toml:3: port: duplicate key (first set on line 2)",
                "t.toml:5: source: duplicate table [source] (first defined on line 1)",
                "t.toml:7: host: duplicate key (first set on line 6)",
                "t.toml:8: redis: [[redis]]: already defined as a table (line 4)",
                "t.toml:10: x: duplicate key (first set on line 9)",
            ])
    }

    func testEmptyFileIsAnEmptyTable() throws {
        XCTAssertEqual(try parse("").keys, [])
        XCTAssertEqual(try parse("# only a comment\r\n\r\n").keys, [])
    }
}
