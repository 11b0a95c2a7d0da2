import XCTest

@testable import RedisCluster

final class RedirectTests: XCTestCase {
    func testMovedAndAsk() {
        XCTAssertEqual(
            Redirection(parsing: "MOVED 3999 127.0.0.1:6381"),
            Redirection(isAsk: false, slot: 3999, target: RedisEndpoint(host: "127.0.0.1", port: 6381)))
        let ask = Redirection(parsing: "ASK 16383 10.0.0.2:7000")
        XCTAssertEqual(ask?.isAsk, true)
        XCTAssertEqual(ask?.slot, 16383)
        XCTAssertEqual(ask?.target.description, "10.0.0.2:7000")
        // IPv6 address: split at the last colon.
        XCTAssertEqual(Redirection(parsing: "MOVED 1 ::1:7001")?.target, RedisEndpoint(host: "::1", port: 7001))
        // Unknown host (":port") takes the replying node's host.
        XCTAssertEqual(
            Redirection(parsing: "MOVED 5 :7002", defaultHost: "127.0.0.9")?.target,
            RedisEndpoint(host: "127.0.0.9", port: 7002))
    }

    func testMalformedRedirectsAreRejected() {
        for bad in [
            "MOVED", "MOVED 3999", "MOVED x 127.0.0.1:1", "MOVED 16384 127.0.0.1:1", "MOVED -1 h:1",
            "MOVED 1 127.0.0.1", "MOVED 1 127.0.0.1:0", "MOVED 1 127.0.0.1:70000", "MOVED 1 :7002",
            "ASKS 1 h:1", "MOVED 1 h:1 extra", "ERR something",
        ] {
            XCTAssertNil(Redirection(parsing: bad), bad)
        }
    }

    func testClassify() {
        let node = RedisEndpoint(host: "127.0.0.1", port: 7000)
        XCTAssertEqual(
            ClusterReplyAction.classify(.error("TRYAGAIN Multiple keys request during rehashing of slot")), .tryAgain)
        XCTAssertEqual(ClusterReplyAction.classify(.error("CLUSTERDOWN The cluster is down")), .clusterDown)
        XCTAssertEqual(
            ClusterReplyAction.classify(.error("ASK 12 :7005"), replyingNode: node),
            .ask(slot: 12, to: RedisEndpoint(host: "127.0.0.1", port: 7005)))
        XCTAssertEqual(ClusterReplyAction.classify(.error("NOPERM this user has no permissions")), .done)
        XCTAssertEqual(ClusterReplyAction.classify(.status("OK")), .done)
    }

    func testRetryPolicyIsBounded() {
        let p = RetryPolicy(maxAttempts: 5, initialDelay: 0.01, maxDelay: 0.04)
        XCTAssertEqual((1...5).compactMap { p.delay(forAttempt: $0) }, [0.01, 0.02, 0.04, 0.04, 0.04])
        XCTAssertNil(p.delay(forAttempt: 6))
        XCTAssertNil(p.delay(forAttempt: 0))
        XCTAssertEqual(p.totalBudget, 0.15, accuracy: 1e-9)
    }
}
