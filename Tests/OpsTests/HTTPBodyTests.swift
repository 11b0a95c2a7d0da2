import Foundation
import XCTest

@testable import Ops

/// A server that reads bodies (`HTTPParseLimits.maxBodyBytes` > 0, as `sluice ledger serve`):
/// the body reaches the handler whole however it is split on the wire; too large, chunked, cut
/// short or late bodies are refused with the right status; a server without the limit still
/// refuses bodies as before.
final class HTTPBodyTests: XCTestCase {
    private var server: HTTPServer?

    private func start(maxBodyBytes: Int, requestTimeout: Duration = .seconds(5)) throws -> Int {
        let server = try HTTPServer(
            options: HTTPServerOptions(
                listen: HostPort(host: "127.0.0.1", port: 0), requestTimeout: requestTimeout,
                limits: HTTPParseLimits(maxBodyBytes: maxBodyBytes)),
            logger: Logger(level: .error, format: .text) { _ in }
        ) { head in
            HTTPResponse.text(.ok, "\(head.method) \(head.body.count) \(String(decoding: head.body, as: UTF8.self))")
        }
        self.server = server
        return server.port
    }

    override func tearDown() {
        server?.stop(timeout: .seconds(2))
        server = nil
    }

    func testTheBodyReachesTheHandlerWhole() throws {
        let port = try start(maxBodyBytes: 64)
        let client = try RawClient(port: port)
        client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello")
        usleep(50_000)
        client.send(" world")
        let answer = client.readToEnd()
        XCTAssertEqual(answer.httpStatus, 200)
        XCTAssertEqual(answer.httpBody, "POST 11 hello world\n")
    }

    func testRefusals() throws {
        let port = try start(maxBodyBytes: 64, requestTimeout: .milliseconds(300))
        var client = try RawClient(port: port)
        client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n")
        XCTAssertEqual(client.readToEnd().httpStatus, 413)

        client = try RawClient(port: port)
        client.send("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(client.readToEnd().httpStatus, 411)

        client = try RawClient(port: port)
        client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertEqual(client.readToEnd().httpStatus, 408, "the rest of the body never came")
    }

    func testWithoutTheLimitABodyIsNotRead() throws {
        let port = try start(maxBodyBytes: 0)
        let client = try RawClient(port: port)
        client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
        XCTAssertEqual(client.readToEnd().httpBody, "POST 0 \n")
    }
}
