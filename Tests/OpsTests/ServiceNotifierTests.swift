import Foundation
import XCTest

import func TestHelpers.eventually

@testable import Ops

#if canImport(Glibc)
    import Glibc
#endif

/// sd_notify datagrams received on a real AF_UNIX datagram socket (a path and an abstract name),
/// and the watchdog pinger's timing and health gate.
final class ServiceNotifierTests: XCTestCase {
    /// A bound datagram socket standing in for systemd's notification socket.
    final class NotifyListener {
        let fd: Int32
        let address: String
        private let path: String?

        init(abstract: Bool) throws {
            let name = "sluice-notify-\(UUID().uuidString.prefix(8))"
            path = abstract ? nil : FileManager.default.temporaryDirectory.appendingPathComponent(name).path
            address = path ?? "@\(name)"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var socketAddress = sockaddr_un()
            let length = try ServiceNotifier.fill(&socketAddress, from: address)
            let status = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            XCTAssertEqual(status, 0, "bind \(address): \(String(cString: strerror(errno)))")
        }

        deinit {
            close(fd)
            if let path { unlink(path) }
        }

        /// The next datagram, or nil after the 2 s receive timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count >= 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
        }

        /// Datagrams waiting right now, without blocking.
        func drain() -> [String] {
            var all: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                guard count >= 0 else { return all }
                all.append(String(decoding: buffer.prefix(count), as: UTF8.self))
            }
        }
    }

    private func checkLifecycle(abstract: Bool) throws {
        let listener = try NotifyListener(abstract: abstract)
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        XCTAssertTrue(notifier.isEnabled)
        XCTAssertTrue(try notifier.send(.ready))
        try notifier.send(.status("lag 0.2 s\nbehind 0 bytes"))
        try notifier.send(.watchdog)
        let before = ServiceNotifier.monotonicMicroseconds()
        try notifier.send(.reloadingNow())
        let after = ServiceNotifier.monotonicMicroseconds()
        try notifier.send([.ready, .status("reloaded")])
        try notifier.send(.stopping)

        XCTAssertEqual(listener.receive(), "READY=1\n")
        XCTAssertEqual(listener.receive(), "STATUS=lag 0.2 s behind 0 bytes\n")
        XCTAssertEqual(listener.receive(), "WATCHDOG=1\n")
        let reloading = try XCTUnwrap(listener.receive())
        XCTAssertTrue(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="), reloading)
        let stamp = try XCTUnwrap(UInt64(reloading.dropFirst("RELOADING=1\nMONOTONIC_USEC=".count).dropLast()))
        XCTAssertTrue((before...after).contains(stamp), "\(stamp) not in \(before)...\(after)")
        XCTAssertEqual(listener.receive(), "READY=1\nSTATUS=reloaded\n")
        XCTAssertEqual(listener.receive(), "STOPPING=1\n")
    }

    func testMessagesInOrderOnPathSocket() throws { try checkLifecycle(abstract: false) }

    func testMessagesInOrderOnAbstractSocket() throws { try checkLifecycle(abstract: true) }

    func testUnsetIsNoOpAndBadAddressesAreErrors() throws {
        XCTAssertFalse(try ServiceNotifier(environment: [:]).send(.ready))
        XCTAssertFalse(try ServiceNotifier(environment: ["NOTIFY_SOCKET": ""]).send(.ready))
        XCTAssertThrowsError(try ServiceNotifier(environment: ["NOTIFY_SOCKET": "run/notify"]).send(.ready)) {
            XCTAssertEqual(($0 as? ServiceNotifyError)?.code, .invalidAddress)
        }
        let long = "/" + String(repeating: "x", count: 200)
        XCTAssertThrowsError(try ServiceNotifier(environment: ["NOTIFY_SOCKET": long]).send(.ready)) {
            XCTAssertEqual(($0 as? ServiceNotifyError)?.code, .invalidAddress)
        }
        let missing = "/nonexistent-\(UUID().uuidString)/notify"
        XCTAssertThrowsError(try ServiceNotifier(environment: ["NOTIFY_SOCKET": missing]).send(.ready)) {
            XCTAssertEqual("\($0)", "sd_notify to \(missing): sendto: No such file or directory [send]")
        }
    }

    func testWatchdogInterval() {
        XCTAssertEqual(WatchdogPinger.interval(environment: ["WATCHDOG_USEC": "30000000"]), .seconds(30))
        XCTAssertEqual(
            WatchdogPinger.interval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"]),
            .seconds(30))
        XCTAssertNil(WatchdogPinger.interval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]))
        XCTAssertNil(WatchdogPinger.interval(environment: ["WATCHDOG_USEC": "0"]))
        XCTAssertNil(WatchdogPinger.interval(environment: ["WATCHDOG_USEC": "soon"]))
        XCTAssertNil(WatchdogPinger.interval(environment: [:]))
        let logger = Logger(level: .error, format: .text) { _ in }
        XCTAssertNil(
            WatchdogPinger(
                notifier: ServiceNotifier(environment: [:]), environment: ["WATCHDOG_USEC": "1000000"], logger: logger
            ) { true },
            "no notification socket, no pinger")
    }

    /// With WATCHDOG_USEC = 200 ms the pinger sends every 100 ms while healthy, nothing while not,
    /// and resumes when healthy again.
    func testWatchdogPingsOnlyWhileHealthy() throws {
        let listener = try NotifyListener(abstract: true)
        let health = HealthFlag()
        let lines = LogLines()
        let environment = ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "200000"]
        let pinger = try XCTUnwrap(
            WatchdogPinger(
                notifier: ServiceNotifier(environment: environment), environment: environment,
                logger: Logger(level: .info, format: .text) { lines.append($0) }
            ) { health.value })
        XCTAssertEqual(pinger.period, .milliseconds(100))
        pinger.start()
        XCTAssertEqual(listener.receive(), "WATCHDOG=1\n", "first ping at start")
        var healthyPings: [String] = []
        eventually(timeout: 5, interval: 0.05) {
            healthyPings += listener.drain()
            return healthyPings.count >= 2
        }
        XCTAssertGreaterThanOrEqual(healthyPings.count, 2, "\(healthyPings)")
        XCTAssertEqual(Set(healthyPings), ["WATCHDOG=1\n"])

        health.value = false
        Thread.sleep(forTimeInterval: 0.15)
        _ = listener.drain()  // a ping may have been on its way when the flag changed
        Thread.sleep(forTimeInterval: 0.35)
        XCTAssertEqual(listener.drain(), [], "no ping while unhealthy")

        health.value = true
        XCTAssertEqual(listener.receive(), "WATCHDOG=1\n", "pings resume")
        pinger.stop()
        Thread.sleep(forTimeInterval: 0.15)
        _ = listener.drain()
        Thread.sleep(forTimeInterval: 0.25)
        XCTAssertEqual(listener.drain(), [], "no ping after stop")
        XCTAssertTrue(
            lines.values.contains { $0.contains("watchdog: not healthy, withholding pings") }, "\(lines.values)")
        XCTAssertTrue(lines.values.contains { $0.contains("watchdog: healthy again") })
    }
}

final class HealthFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var healthy = true
    var value: Bool {
        get { lock.withLock { healthy } }
        set { lock.withLock { healthy = newValue } }
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var values: [String] { lock.withLock { lines } }
}
