import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// A Redis master without persistence (and without a replica) restarted empty while `sluice run`
/// streams a payments workload into its cluster: `sluice verify` detects the
/// lost keys (exit 3, `missing in Redis`), and `sluice snapshot`, run while the workload and the
/// daemon still write, repairs them: afterwards `sluice verify` exits 0.
final class RedisLossProcessTests: XCTestCase {
    func testMasterRestartedEmptyIsFoundByVerifyAndRepairedBySnapshot() throws {
        let chain = try ChainFixture(accounts: 3000, partitions: 1)
        defer { chain.close() }
        // The sandbox's DR cluster has no replicas: a restarted master comes back empty for sure.
        let cluster = chain.sandbox.dr
        let configPath = chain.folder.path + "/loss.toml"
        try DemoConfig.text(
            mariadbPort: chain.sandbox.mariadb.port, redis: cluster.addresses, kafka: nil, logLevel: "info"
        )
        .write(toFile: configPath, atomically: true, encoding: .utf8)
        let logPath = chain.folder.path + "/loss-run.log"
        func startDaemon() throws -> ChildProcess {
            try chain.folder.start(
                service: "sluice-run", executable: chain.executable, arguments: ["run", "--config", configPath],
                workingDirectory: chain.folder.path, logPath: logPath)
        }
        var daemon = try startDaemon()
        let workload = MixedPaymentsWorkload(payments: chain.workload)
        workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0.005)
        let redis = try chain.client(cluster)
        let store = CheckpointStore(client: redis, prefix: "sluice:checkpoint:")
        func sluice(_ args: [String]) throws -> (status: Int32, output: String) {
            try chain.folder.run(
                service: "sluice-\(args[0])", executable: chain.executable, arguments: args + ["--config", configPath],
                workingDirectory: chain.folder.path, logPath: chain.folder.path + "/loss-\(args[0]).log", timeout: 120)
        }

        // Caught up with the rows created before the start, then one master loses everything.
        let created = try chain.masterPosition()
        func reached(_ position: BinlogPosition) -> Bool {
            guard let stored = try? store.load(sink: "primary") else { return false }
            return stored.position >= position
        }
        eventually(timeout: 60, interval: 0.1) { !daemon.isRunning || reached(created) }
        XCTAssertTrue(reached(created), LogFile.tail(logPath))
        let victim = try XCTUnwrap(try cluster.masterPorts().first)
        XCTAssertNotEqual(try cluster.command(victim, ["DBSIZE"]).trimmingCharacters(in: .whitespacesAndNewlines), "0")
        cluster.crashNode(victim)
        try cluster.restartNode(victim)

        // Detected: a third of the keys is gone (those written again since are back).
        let found = try sluice(["verify", "--settle-seconds", "2"])
        XCTAssertEqual(found.status, 3, found.output)
        XCTAssertTrue(found.output.contains(": missing in Redis"), found.output)

        // Repaired while the workload and the daemon still write.
        let repaired = try sluice(["snapshot", "--chunk-rows", "500"])
        XCTAssertEqual(repaired.status, 0, repaired.output)
        // `sluice run` may have stopped on the refused connection while the node was down (it
        // exits 1 and its supervisor starts it again): it resumes from its checkpoint, or the
        // snapshot's when the lost node held the checkpoint key.
        if !daemon.isRunning {
            chain.folder.forget(daemon)
            daemon = try startDaemon()
        }
        workload.finish()
        XCTAssertNil(workload.error, "the workload failed: \(workload.error.map { "\($0)" } ?? "")")
        let end = try chain.masterPosition()
        eventually(timeout: 60, interval: 0.1) { !daemon.isRunning || reached(end) }
        let equal = try sluice(["verify"])
        XCTAssertEqual(equal.status, 0, equal.output)
        XCTAssertTrue(daemon.isRunning, LogFile.tail(logPath))
        chain.folder.stop(daemon, grace: 15)
    }
}
