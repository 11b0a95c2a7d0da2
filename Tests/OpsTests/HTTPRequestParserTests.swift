import XCTest

@testable import Ops

/// The request-head parser on its own: valid heads, every prefix, and each kind of bad input.
final class HTTPRequestParserTests: XCTestCase {
    private let limits = HTTPParseLimits(maxHeadBytes: 256, maxHeaderCount: 4)

    private func parse(_ text: String) -> HTTPHeadParse {
        HTTPRequestParser.parse(Array(text.utf8)[...], limits: limits)
    }

    private func status(_ text: String) -> Int? {
        if case .invalid(let status, _) = parse(text) { return status.code }
        return nil
    }

    func testValidHead() throws {
        let text =
            "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost:9187\r\nAccept:  text/plain \r\nUser-Agent: t\r\n\r\nNEXT"
        guard case .complete(let head, let consumed) = parse(text) else { return XCTFail("\(parse(text))") }
        XCTAssertEqual(consumed, text.utf8.count - 4)
        XCTAssertEqual(
            head,
            HTTPRequestHead(
                method: "GET", target: "/metrics?x=1", path: "/metrics", minorVersion: 1,
                headers: [
                    HTTPHeader(name: "Host", value: "localhost:9187"), HTTPHeader(name: "Accept", value: "text/plain"),
                    HTTPHeader(name: "User-Agent", value: "t"),
                ], hasBody: false, keepAlive: true))
        XCTAssertEqual(head.values("accept"), ["text/plain"])
    }

    /// Every strict prefix of a valid head needs more bytes; never an error, never a trap.
    func testEveryPrefixIsIncomplete() {
        let bytes = Array("GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8)
        for length in 0..<bytes.count {
            XCTAssertEqual(HTTPRequestParser.parse(bytes[..<length], limits: limits), .incomplete, "prefix \(length)")
        }
        guard case .complete(let head, let consumed) = HTTPRequestParser.parse(bytes[...], limits: limits) else {
            return XCTFail()
        }
        XCTAssertEqual(consumed, bytes.count)
        XCTAssertFalse(head.keepAlive)
    }

    func testConnectionSemantics() {
        func keepAlive(_ text: String) -> Bool? {
            if case .complete(let head, _) = parse(text) { return head.keepAlive }
            return nil
        }
        XCTAssertEqual(keepAlive("GET / HTTP/1.0\r\n\r\n"), false)
        XCTAssertEqual(keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true)
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n"), false)
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\nHost: h\n\n"), true, "bare LF line ends are accepted")
        XCTAssertEqual(keepAlive("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), true, "leading blank lines ignored")
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"), false, "a body closes")
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), false)
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"), true)
    }

    func testBadRequests() {
        XCTAssertEqual(status("\u{16}\u{03}\u{01}\u{02}\u{00}"), 400, "TLS hello: answered before any line end")
        XCTAssertEqual(status("{\"json\": true"), 400, "not a method, no line end yet")
        XCTAssertEqual(status("GET /\r\n\r\n"), 400)
        XCTAssertEqual(status("GET  / HTTP/1.1\r\n"), 400, "double space, seen as soon as the line ends")
        XCTAssertEqual(status("GET metrics HTTP/1.1\r\nHost: h\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host")
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400, "space before the colon")
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400, "bare CR in a value")
        XCTAssertEqual(status("GET / HTTP/1.x\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\u{7f}\r\n\r\n"), 400, "DEL")
        guard case .invalid(_, let reason) = parse("GET / HTTP/1.1\r\n\r\n") else { return XCTFail() }
        XCTAssertEqual(reason, "an HTTP/1.1 request needs exactly one Host header")
    }

    func testLimits() {
        XCTAssertEqual(status("GET /" + String(repeating: "a", count: 300)), 431, "long request line, no end yet")
        XCTAssertEqual(status("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: h\r\n\r\n"), 431)
        let five = (1...5).map { "X-\($0): v\r\n" }.joined()
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\n\(five)\r\n"), 431, "more than 4 header lines")
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n").isComplete, true)
    }

    /// Random bytes never trap and are never taken for a complete request.
    func testRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            XCTAssertFalse(HTTPRequestParser.parse(bytes[...], limits: limits).isComplete)
        }
    }
}

extension HTTPHeadParse {
    var isComplete: Bool {
        if case .complete = self { return true }
        return false
    }
}
