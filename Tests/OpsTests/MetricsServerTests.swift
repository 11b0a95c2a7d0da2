import Foundation
import XCTest

import func TestHelpers.eventually

@testable import Ops

/// The metrics endpoint on an ephemeral loopback port, driven by raw sockets: routes, concurrent
/// scrapes, garbage, oversized and slow or silent clients, readiness, keep-alive and stop.
final class MetricsServerTests: XCTestCase {
    private var server: HTTPServer?
    private let registry = MetricsRegistry()
    private let state = ReadinessState()

    /// The readiness the test controls.
    final class ReadinessState: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Readiness.notReady("connecting to the source")
        private var seconds = 0.0
        var current: Readiness {
            get {
                let (answer, wait) = lock.withLock { (value, seconds) }
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                return answer
            }
            set { lock.withLock { value = newValue } }
        }
        /// How long each readiness question takes (to hold connections busy).
        var delay: Double {
            get { lock.withLock { seconds } }
            set { lock.withLock { seconds = newValue } }
        }
    }

    private func start(requestTimeout: Duration = .seconds(5), maxConnections: Int = 64) throws -> Int {
        let state = self.state
        let endpoint = MetricsEndpoint(registry: registry, readyLagSeconds: 30) { state.current }
        let options = HTTPServerOptions(
            listen: HostPort(host: "127.0.0.1", port: 0), maxConnections: maxConnections,
            requestTimeout: requestTimeout)
        let server = try HTTPServer(options: options, logger: Logger(level: .error, format: .text) { _ in }) {
            endpoint.respond(to: $0)
        }
        self.server = server
        XCTAssertGreaterThan(server.port, 0)
        return server.port
    }

    override func setUpWithError() throws {
        try registry.declare(SluiceMetrics.all)
        try registry.counter(SluiceMetrics.sourceRows, [.db: "payments", .table: "accounts", .kind: "update"])
            .increment(by: 42)
    }

    override func tearDown() {
        server?.stop(timeout: .seconds(2))
        server = nil
    }

    func testRoutes() throws {
        let port = try start()
        let metrics = try RawClient.get("/metrics", port: port)
        XCTAssertTrue(metrics.hasPrefix("HTTP/1.1 200 OK\r\n"), metrics)
        XCTAssertTrue(metrics.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        XCTAssertEqual(metrics.httpBody, registry.render())
        XCTAssertTrue(
            metrics.contains("sluice_source_rows_total{db=\"payments\",kind=\"update\",table=\"accounts\"} 42\n"))

        XCTAssertEqual(try RawClient.get("/healthz", port: port).httpBody, "alive\n")
        XCTAssertEqual(try RawClient.get("/healthz", port: port).httpStatus, 200)
        let missing = try RawClient.get("/nope", port: port)
        XCTAssertEqual(missing.httpStatus, 404)
        let post = try RawClient.get("/metrics", port: port, method: "POST")
        XCTAssertEqual(post.httpStatus, 405)
        XCTAssertTrue(post.contains("\r\nAllow: GET, HEAD\r\n"), post)
        let head = try RawClient.get("/metrics", port: port, method: "HEAD")
        XCTAssertEqual(head.httpStatus, 200)
        XCTAssertEqual(head.httpBody, "", "HEAD has no body")
        XCTAssertTrue(head.contains("Content-Length: \(registry.render().utf8.count)\r\n"))
    }

    func testTwentyParallelScrapes() throws {
        let port = try start()
        let expected = registry.render()
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 20) { index in
            let text = (try? RawClient.get("/metrics", port: port)) ?? "connect failed"
            results.append(
                text.httpStatus == 200 && text.httpBody == expected ? "ok" : "bad \(index): \(text.prefix(80))")
        }
        XCTAssertEqual(results.values, Array(repeating: "ok", count: 20))
    }

    func testGarbageAndOversizedRequests() throws {
        let port = try start()
        let garbage = try RawClient(port: port)
        garbage.send((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let answer = garbage.readToEnd()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), answer)
        XCTAssertTrue(answer.contains("Connection: close\r\n"))

        let long = try RawClient(port: port)
        long.send("GET /" + String(repeating: "x", count: 20_000) + " HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(long.readToEnd().httpStatus, 431)

        let headers = try RawClient(port: port)
        headers.send("GET /metrics HTTP/1.1\r\nHost: h\r\n" + (0..<150).map { "X-\($0): y\r\n" }.joined() + "\r\n")
        XCTAssertEqual(headers.readToEnd().httpStatus, 431)

        let version = try RawClient(port: port)
        version.send("GET /metrics HTTP/3.0\r\nHost: h\r\n\r\n")
        XCTAssertEqual(version.readToEnd().httpStatus, 505)

        // Still serving afterwards.
        XCTAssertEqual(try RawClient.get("/healthz", port: port).httpStatus, 200)
    }

    /// A client that sends half a request and stalls holds its own connection only: a parallel
    /// scrape is answered at once, and the staller gets 408 when its time is up.
    func testSlowClientDoesNotBlockScrapes() throws {
        let port = try start(requestTimeout: .milliseconds(1500))
        let slow = try RawClient(port: port)
        slow.send("GET /metrics HTTP/1.1\r\nHost: loc")
        let silent = try RawClient(port: port)
        let started = Date()
        let scrape = try RawClient.get("/metrics", port: port)
        XCTAssertEqual(scrape.httpStatus, 200)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0, "the scrape waited for the stalled clients")

        let slowAnswer = slow.readToEnd()
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertTrue(slowAnswer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), slowAnswer)
        XCTAssertTrue(slowAnswer.hasSuffix("no complete request within 1 s\n"), slowAnswer)
        XCTAssertGreaterThan(elapsed, 1.2)
        XCTAssertLessThan(elapsed, 4)
        XCTAssertEqual(silent.readToEnd().httpStatus, 408, "a client that sends nothing is timed out too")
        // Both connections end (after their short lingering close) and free their slots.
        try waitForActiveConnections(0)
    }

    /// A client dripping one byte every 100 ms gets no extra time: the deadline counts from the
    /// connection, not from the last byte.
    func testDrippingClientIsCutOffAtTheDeadline() throws {
        let port = try start(requestTimeout: .milliseconds(800))
        let client = try RawClient(port: port)
        let started = Date()
        let request = Array("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Padding: abcdefghijklmnop\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count, Date().timeIntervalSince(started) < 1.5 {
            client.send([request[sent]])
            sent += 1
            Thread.sleep(forTimeInterval: 0.1)
        }
        let answer = client.readToEnd()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408 "), answer)
        XCTAssertLessThan(sent, request.count, "the whole request went out before the deadline")
    }

    func testReadinessFlips() throws {
        let port = try start()
        var answer = try RawClient.get("/readyz", port: port)
        XCTAssertEqual(answer.httpStatus, 503)
        XCTAssertEqual(answer.httpBody, "not ready: connecting to the source\n")
        state.current = .lagging(seconds: 45.25)
        answer = try RawClient.get("/readyz", port: port)
        XCTAssertEqual(answer.httpStatus, 503)
        XCTAssertEqual(answer.httpBody, "not ready: lag 45.25 s exceeds 30 s\n")
        state.current = .lagging(seconds: 0.2)
        answer = try RawClient.get("/readyz", port: port)
        XCTAssertEqual(answer.httpStatus, 200)
        XCTAssertEqual(answer.httpBody, "ready: lag 0.2 s, within 30 s\n")
    }

    func testKeepAliveAndPipelining() throws {
        let port = try start()
        let client = try RawClient(port: port)
        client.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /readyz HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.body, "alive\n")
        XCTAssertEqual(client.readResponse()?.status, 503)
        client.send("GET /metrics HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let last = client.readResponse()
        XCTAssertEqual(last?.status, 200)
        XCTAssertTrue(last?.head.contains("Connection: close\r\n") == true)
        XCTAssertEqual(client.readToEnd(), "", "closed after Connection: close")
    }

    /// When full, a new client takes the place of the one that has waited longest for its
    /// request: stalled clients can't lock scrapes out.
    func testFullServerEvictsTheLongestWaitingClient() throws {
        let port = try start(maxConnections: 2)
        let first = try RawClient(port: port)
        first.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(first.readResponse()?.status, 200)  // now idle, kept alive
        let second = try RawClient(port: port)
        second.send("GET /metrics HTTP/1.1\r\nHost: h")  // stalled half-way
        Thread.sleep(forTimeInterval: 0.05)

        XCTAssertEqual(try RawClient.get("/healthz", port: port).httpStatus, 200, "scrape served although full")
        XCTAssertEqual(first.readToEnd(), "", "the longest-waiting connection was closed to make room")

        // Full again: the stalled client (waiting since before `third`'s answer) is the one to go.
        try waitForActiveConnections(1)
        let third = try RawClient(port: port)
        third.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(third.readResponse()?.status, 200)
        XCTAssertEqual(try RawClient.get("/metrics", port: port).httpStatus, 200)
        XCTAssertEqual(second.readToEnd(), "", "the stalled client was evicted")
        third.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(third.readResponse()?.status, 200, "the more recent idle connection stays")
    }

    private func waitForActiveConnections(_ count: Int) throws {
        eventually(timeout: 2) { server?.activeConnections == count }
        XCTAssertEqual(server?.activeConnections, count)
    }

    /// When every connection is busy answering, a newcomer is told 503 at once.
    func testBusyServerAnswers503() throws {
        state.delay = 0.5
        state.current = .lagging(seconds: 0)
        let port = try start(maxConnections: 2)
        let busy = [try RawClient(port: port), try RawClient(port: port)]
        for client in busy { client.send("GET /readyz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") }
        Thread.sleep(forTimeInterval: 0.1)
        let refused = try RawClient.get("/healthz", port: port)
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), refused)
        XCTAssertEqual(refused.httpBody, "too many connections, try again\n")
        for client in busy { XCTAssertEqual(client.readToEnd().httpStatus, 200) }
    }

    func testStopClosesIdleConnectionsAtOnce() throws {
        let port = try start()
        let idle = try RawClient(port: port)
        idle.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)
        let silent = try RawClient(port: port)
        Thread.sleep(forTimeInterval: 0.05)
        let started = Date()
        XCTAssertEqual(server?.stop(timeout: .seconds(3)), true)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        XCTAssertEqual(idle.readToEnd(), "")
        XCTAssertEqual(silent.readToEnd(), "")
        XCTAssertThrowsError(try RawClient(port: port), "no longer listening")
    }

    func testBindErrors() throws {
        let port = try start()
        let logger = Logger(level: .error, format: .text) { _ in }
        XCTAssertThrowsError(
            try HTTPServer(options: HTTPServerOptions(listen: HostPort(host: "127.0.0.1", port: port)), logger: logger)
            {
                _ in .text(.ok, "")
            }
        ) { error in
            XCTAssertEqual(
                "\(error)", "metrics endpoint 127.0.0.1:\(port): bind: Address already in use [bind]")
        }
        XCTAssertThrowsError(
            try HTTPServer(
                options: HTTPServerOptions(listen: HostPort(host: "no.such.host.invalid", port: 1)), logger: logger
            ) {
                _ in .text(.ok, "")
            }
        ) { error in
            XCTAssertEqual((error as? HTTPServerError)?.code, .resolve)
        }
        let text = ConfigTestCase.minimal + "[metrics]\nenabled = false\n"
        guard case .success(let loaded) = SluiceConfig.parse(text, file: "t.toml", directory: ".", environment: [:])
        else { return XCTFail("config did not parse") }
        let disabled = try HTTPServer.metrics(config: loaded.config.metrics, registry: registry, logger: logger) {
            .lagging(seconds: 0)
        }
        XCTAssertNil(disabled)
    }
}

/// Collects results from concurrent work.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) { lock.withLock { items.append(item) } }
    var values: [String] { lock.withLock { items } }
}
