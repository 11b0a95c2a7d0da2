import Foundation
import Timekeeping
import XCTest

@testable import Ops

final class LoggerTests: XCTestCase {
    private func logger(_ format: LogFormat, level: LogLevel = .info, capture: ConsoleCapture) -> Logger {
        Logger(
            level: level, format: format, clock: ManualClock(wall: Date(timeIntervalSince1970: 1_800_000_000.25)),
            sink: capture.console.writeErr)
    }

    func testTextLines() {
        let capture = ConsoleCapture()
        let log = logger(.text, capture: capture).with(["sink": "redis.primary"])
        log.debug("hidden")
        log.info("applied batch", ["binlog.file": "mysql-bin.000003", "binlog.pos": 4, "rows": 12])
        log.warning("two\nlines", ["reason": "a b=\"c\"", "ok": true])
        XCTAssertEqual(
            capture.err,
            """
            2027-01-15T08:00:00.250Z info applied batch binlog.file=mysql-bin.000003 binlog.pos=4 rows=12 sink=redis.primary
            2027-01-15T08:00:00.250Z warning two\\nlines ok=true reason="a b=\\"c\\"" sink=redis.primary

            """)
    }

    func testJSONLines() throws {
        let capture = ConsoleCapture()
        logger(.json, level: .debug, capture: capture).error(
            "halted", ["binlog.pos": LogValue(UInt64(77)), "level": "x"])
        XCTAssertEqual(
            capture.err,
            "{\"time\":\"2027-01-15T08:00:00.250Z\",\"level\":\"error\",\"message\":\"halted\",\"_level\":\"x\",\"binlog.pos\":77}\n"
        )
        let object = try JSONSerialization.jsonObject(with: Data(capture.err.utf8)) as? [String: Any]
        XCTAssertEqual(object?["message"] as? String, "halted")
    }

    func testSecretsAreMasked() {
        let capture = ConsoleCapture()
        let secret = Secret("hunter2")
        let log = logger(.text, capture: capture)
        log.notice("connecting with \(secret)", ["password": .secret(secret)])
        logger(.json, capture: capture).notice("x", ["password": .secret(secret)])
        XCTAssertFalse(capture.err.contains("hunter2"))
        XCTAssertTrue(capture.err.contains("connecting with ******** password=********"), capture.err)
        XCTAssertTrue(capture.err.contains("\"password\":\"********\""), capture.err)
    }

    func testLevelsOrder() {
        XCTAssertEqual(LogLevel.allCases.sorted(), [.debug, .info, .notice, .warning, .error])
        let capture = ConsoleCapture()
        let log = logger(.text, level: .warning, capture: capture)
        log.notice("no")
        log.error("yes")
        XCTAssertEqual(capture.err.split(separator: "\n").count, 1)
    }
}
