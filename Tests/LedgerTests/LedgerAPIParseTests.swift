import XCTest

@testable import Ledger

/// Malformed transfer bodies get a 400 that names the field.
final class LedgerAPIParseTests: XCTestCase {
    private func problem(_ json: String) -> String? {
        if case .failure(let bad) = LedgerAPI.parseTransfer(Array(json.utf8), scale: 2) { return bad.message }
        return nil
    }

    func testAValidBody() throws {
        let parsed = try LedgerAPI.parseTransfer(
            Array(#"{"idempotency_key":"abc-1","from":7,"to":9,"amount":"10.05","note":"x"}"#.utf8), scale: 2
        ).get()
        XCTAssertEqual(
            parsed, TransferRequest(idempotencyKey: "abc-1", from: 7, to: 9, amount: Amount(minorUnits: 1005, scale: 2)))
    }

    func testEachProblemNamesTheField() {
        XCTAssertEqual(problem(""), "the body is empty; send a JSON object")
        XCTAssertEqual(problem("{"), "the body is not a JSON object")
        XCTAssertEqual(problem("[1]"), "the body is not a JSON object")
        XCTAssertEqual(problem(#"{"from":1,"to":2,"amount":"1"}"#), "field idempotency_key is missing")
        XCTAssertEqual(problem(#"{"idempotency_key":"k","from":"1","to":2,"amount":"1"}"#), "field from has the wrong type")
        XCTAssertEqual(problem(#"{"idempotency_key":"k","from":1,"to":2,"amount":1.5}"#), "field amount has the wrong type")
        XCTAssertEqual(problem(#"{"idempotency_key":"k","from":1,"to":null,"amount":"1"}"#), "field to is null")
        XCTAssertEqual(
            problem(#"{"idempotency_key":"k","from":1,"to":2,"amount":"-5"}"#),
            #"field amount: "-5" is not a decimal number (digits and at most one '.')"#)
        XCTAssertEqual(
            problem(#"{"idempotency_key":"k","from":1,"to":2,"amount":"1.001"}"#),
            #"field amount: "1.001" has more than 2 decimal places"#)
        XCTAssertEqual(
            problem(#"{"idempotency_key":"a b","from":1,"to":2,"amount":"1"}"#),
            "field idempotency_key must be 1-128 printable ASCII characters without spaces")
        XCTAssertEqual(problem(#"{"idempotency_key":"k","from":0,"to":2,"amount":"1"}"#), "field from must be a positive account id")
    }
}
