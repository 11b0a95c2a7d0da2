import XCTest

@testable import Ledger

/// The API's `amount`: exact decimal text, never rounded.
final class AmountTests: XCTestCase {
    func testParsesExactDecimalText() throws {
        XCTAssertEqual(try Amount.parse("12.34", scale: 2).minorUnits, 1234)
        XCTAssertEqual(try Amount.parse("12.5", scale: 2).minorUnits, 1250)
        XCTAssertEqual(try Amount.parse("7", scale: 2).minorUnits, 700)
        XCTAssertEqual(try Amount.parse("0.01", scale: 2).minorUnits, 1)
        XCTAssertEqual(try Amount.parse("5", scale: 0).minorUnits, 5)
    }

    func testRefusesWhatIsNotAnExactPositiveAmount() {
        let cases: [(String, Amount.ParseError)] = [
            ("", .empty), ("-1", .notDecimal("-1")), ("1e3", .notDecimal("1e3")), (" 1", .notDecimal(" 1")),
            ("1.", .notDecimal("1.")), (".5", .notDecimal(".5")), ("1.2.3", .notDecimal("1.2.3")),
            ("1,00", .notDecimal("1,00")), ("12.345", .overPrecise("12.345", scale: 2)), ("0", .notPositive("0")),
            ("0.00", .notPositive("0.00")), ("1234567890123456789", .tooLarge("1234567890123456789")),
            ("99999999999999999.99", .tooLarge("99999999999999999.99")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try Amount.parse(text, scale: 2), text) { error in
                XCTAssertEqual(error as? Amount.ParseError, expected, text)
            }
        }
    }

    func testRendersBalancesExactly() {
        XCTAssertEqual(Amount.text(minor: 1234, scale: 2), "12.34")
        XCTAssertEqual(Amount.text(minor: 5, scale: 2), "0.05")
        XCTAssertEqual(Amount.text(minor: 0, scale: 2), "0.00")
        XCTAssertEqual(Amount.text(minor: -150, scale: 2), "-1.50")
        XCTAssertEqual(Amount.text(minor: 42, scale: 0), "42")
    }
}
