import Foundation
import Kafka
import MySQLSource
import TestSupport
import XCTest

final class SandboxLifecycleTests: XCTestCase {
    func testFullSandboxStartsEverythingAndStopLeavesNoProcess() throws {
        let sandbox = try FullSandbox()
        print(sandbox.summary)
        let pids = sandbox.pids
        XCTAssertEqual(pids.count, 1 + 6 + 3 + 1, "mariadbd, 9 redis-server, tansu")
        for pid in pids { XCTAssertEqual(kill(pid, 0), 0, "pid \(pid) should be running") }
        XCTAssertEqual(try sandbox.mariadb.connect().query("SELECT @@log_bin AS b").value("b"), "1")
        XCTAssertEqual(try sandbox.primary.masterPorts().count, 3)
        XCTAssertEqual(try sandbox.dr.masterPorts().count, 3)
        do {
            let consumer = try KafkaConsumer(settings: ["bootstrap.servers": sandbox.kafka.bootstrapServers])
            XCTAssertEqual(try consumer.metadata().brokers.map(\.port), [sandbox.kafka.port])
        }
        let path = sandbox.folder.path

        sandbox.close()
        for pid in pids {
            XCTAssertEqual(kill(pid, 0), -1, "pid \(pid) still exists")
            XCTAssertEqual(errno, ESRCH)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(sandbox.pids, [])
    }

    func testServiceFailureReportsTheLogTail() throws {
        let folder = try SandboxFolder(label: "failing")
        defer { folder.close() }
        // A port already taken by another server: the second redis-server must fail and say why.
        let port = try PortAllocator().pick()
        let arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""]
        let holder = try folder.start(
            service: "holder", executable: "/usr/bin/redis-server", arguments: arguments,
            workingDirectory: try folder.subfolder("holder"), logPath: folder.path + "/holder.log")
        _ = try Readiness.wait(service: "holder", timeout: 15, logPath: folder.path + "/holder.log", process: holder) {
            PortAllocator.accepts(port) ? true : nil
        }
        let log = folder.path + "/clash.log"
        let clash = try folder.start(
            service: "clash", executable: "/usr/bin/redis-server", arguments: arguments,
            workingDirectory: try folder.subfolder("clash"), logPath: log)
        XCTAssertThrowsError(
            try Readiness.wait(service: "clash", timeout: 5, logPath: log, process: clash) { () -> Bool? in nil }
        ) { error in
            let error = error as? SandboxError
            XCTAssertEqual(error?.code, .exitedEarly)
            XCTAssertTrue(error?.logTail.contains("Address already in use") ?? false, error?.description ?? "")
        }
    }

    /// The watchdog of a sandbox whose owner died (here: SIGKILL) stops the listed servers and
    /// removes the folder.
    func testWatchdogReapsServersWhenTheOwnerIsKilled() throws {
        let base = try SandboxFolder(label: "watchdog-test")
        defer { base.close() }
        let orphanDir = try base.subfolder("orphaned")
        let serverDir = try base.subfolder("orphaned/server")
        let server = try ChildProcess(
            executable: "/bin/sleep", arguments: ["300"], workingDirectory: serverDir, logPath: "/dev/null",
            service: "fake server")
        try "\(server.pid)\n".write(toFile: orphanDir + "/pids", atomically: true, encoding: .utf8)
        // The owner: a shell that starts the watchdog as its child, then becomes `sleep`.
        let owner = try ChildProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", "/bin/sh -c \"$0\" watchdog $$ \"$1\" & exec sleep 300", SandboxFolder.watchdogScript, orphanDir,
            ],
            workingDirectory: "/", logPath: "/dev/null", service: "owner")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(server.isRunning)
        owner.kill9()
        XCTAssertTrue(server.waitForExit(timeout: 10), "the watchdog did not stop the orphaned server")
        XCTAssertTrue(
            eventually(timeout: 5, interval: 0.05) { !FileManager.default.fileExists(atPath: orphanDir) },
            "the watchdog did not remove \(orphanDir)")
    }
}

final class SandboxReadinessTests: XCTestCase {
    func testAServiceThatNeverAnswersTimesOutWithItsLogTailAndLastProblem() throws {
        let folder = try SandboxFolder(label: "timeout")
        defer { folder.close() }
        let log = folder.path + "/silent.log"
        let silent = try folder.start(
            service: "silent", executable: "/bin/sh", arguments: ["-c", "echo listening nowhere; exec sleep 60"],
            workingDirectory: try folder.subfolder("silent"), logPath: log)
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let started = Date()
        XCTAssertThrowsError(
            try Readiness.wait(service: "silent", timeout: 0.5, logPath: log, process: silent) { () throws -> Bool? in
                throw Refused()
            }
        ) { error in
            let error = error as? SandboxError
            XCTAssertEqual(error?.code, .notReady)
            XCTAssertEqual(error?.service, "silent")
            XCTAssertEqual(error?.message, "not ready within 0.5 s; last: connection refused")
            XCTAssertEqual(error?.logTail, "listening nowhere\n")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(silent.isRunning)
        folder.close()
        XCTAssertFalse(silent.isRunning)
    }

    func testClusterNodesParsingKeepsRolesMastersAndFailureFlags() {
        let text = """
            a1 127.0.0.1:21001@31001 myself,master - 0 0 1 connected 0-5460
            b2 127.0.0.1:21002@31002 master,fail - 1700000000000 1700000000000 2 disconnected 5461-10922
            c3 127.0.0.1:21003@31003,host.example slave a1 0 1700000000000 1 connected
            garbage line
            """
        XCTAssertEqual(
            RedisClusterSandbox.parseClusterNodes(text),
            [
                RedisNodeInfo(port: 21001, id: "a1", role: .master, masterID: nil, flags: []),
                RedisNodeInfo(port: 21002, id: "b2", role: .master, masterID: nil, flags: ["fail"]),
                RedisNodeInfo(port: 21003, id: "c3", role: .replica, masterID: "a1", flags: []),
            ])
    }
}
