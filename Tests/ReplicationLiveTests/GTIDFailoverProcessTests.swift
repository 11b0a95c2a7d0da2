import Binlog
import Foundation
import MySQLSource
import SluiceLab
import TestSupport
import XCTest

@testable import Replication

/// Guarantee 8 with the built binary: MariaDB primary and a GTID replica, the payments workload,
/// `sluice run` stopped (SIGTERM, and separately SIGKILL) while the workload goes on, the replica
/// promoted, the old primary gone and the config pointed at the replica: the restarted daemon
/// resumes by GTID and every transaction reaches Redis and Kafka, in order per row, nothing
/// skipped (after a clean stop also nothing twice). A checkpoint with no GTID state, written
/// reading another server, is refused with the reason.
final class GTIDFailoverProcessTests: XCTestCase {
    func testStoppedDaemonResumesByGTIDOnThePromotedReplica() throws {
        let (chain, replica) = try failOver(killing: false)
        defer { chain.close() }

        let shown = try chain.folder.run(
            service: "checkpoint-show", executable: chain.executable,
            arguments: ["checkpoint", "show", "--config", chain.runConfigPath], workingDirectory: chain.folder.path,
            logPath: chain.folder.path + "/checkpoint-show.log", timeout: 30
        ).output
        XCTAssertTrue(shown.contains("read from mariadb server_id \(replica.serverID)"), shown)

        // A checkpoint of the old primary without GTID state: refused, nothing moves.
        let store = CheckpointStore(client: try chain.client(chain.sandbox.primary), prefix: "sluice:checkpoint:")
        let old = SourceIdentity(serverID: 1, flavor: "mariadb")
        let forged = SinkCheckpoint(
            position: BinlogPosition(file: "mariadb-bin.000001", offset: 4), gtid: "", commitTime: 0, source: old)
        for sink in ["primary", "kafka"] { try store.store(forged, sink: sink) }
        let log = try chain.refusedStart()
        XCTAssertTrue(
            log.contains(
                "was written reading mariadb server_id 1, but [source] now reaches mariadb server_id \(replica.serverID) "
                    + "and the checkpoint holds no GTID state to resume from"), log)
        XCTAssertTrue(log.contains("sluice will not resume there"), log)
        XCTAssertEqual(try store.load(sink: "primary"), forged, "a refused start writes nothing")

        // The way out the message names: set each sink's checkpoint on the new server; it then
        // names that server and the daemon starts from it.
        let end = try XCTUnwrap(replica.connect().query("SELECT @@gtid_binlog_pos AS g").value("g"))
        for sink in ["primary", "kafka"] {
            let set = try chain.folder.run(
                service: "checkpoint-set", executable: chain.executable,
                arguments: ["checkpoint", "set", "--config", chain.runConfigPath, "--sink", sink, "--position", end],
                workingDirectory: chain.folder.path, logPath: chain.folder.path + "/checkpoint-set.log", timeout: 30)
            XCTAssertEqual(set.status, 0, set.output)
        }
        let moved = try XCTUnwrap(store.load(sink: "primary"))
        XCTAssertEqual(moved.source, SourceIdentity(serverID: UInt32(replica.serverID), flavor: "mariadb"))
        XCTAssertEqual(moved.gtid, end)
        let resumed = try chain.startDaemon()
        XCTAssertTrue(
            repeatedly(timeout: 30, every: 0.1, until: \.self) {
                LogFile.tail(chain.runLogPath, lines: 50).contains("resume_by=position")
            }, chain.runLogTail())
        resumed.stop(grace: 15)
        chain.folder.forget(resumed)
        XCTAssertEqual(resumed.exitStatusIfExited(), 0, chain.runLogTail())
    }

    func testKilledDaemonResumesByGTIDOnThePromotedReplica() throws {
        let (chain, _) = try failOver(killing: true)
        chain.close()
    }

    /// The scenario up to a daemon caught up on the promoted replica and checked; returns the
    /// chain (daemon stopped) and the replica, now the source.
    private func failOver(killing: Bool) throws -> (ChainFixture, MariaDBServer) {
        let started = Date()
        let chain = try ChainFixture(accounts: 30, partitions: 3)
        do {
            let (replica, replicaDB) = try chain.startReplica()

            let workload = MixedPaymentsWorkload(payments: chain.workload)
            workload.start(on: try chain.sandbox.mariadb.connect(), pause: 0.002)
            let first = try chain.startDaemon()
            let moved = repeatedly(timeout: 30, every: 0.1, until: \.self) {
                ((try? chain.sinkCheckpoints().kafka) ?? nil) != nil && first.isRunning
            }
            XCTAssertTrue(moved, "no checkpoint: \(chain.runLogTail())")
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...0.8))
            if killing {
                chain.kill9(first)
            } else {
                first.stop(grace: 15)
                chain.folder.forget(first)
                XCTAssertEqual(first.exitStatusIfExited(), 0, chain.runLogTail())
            }
            let stoppedAt = try chain.sinkCheckpoints()
            XCTAssertEqual(stoppedAt.redis?.source, SourceIdentity(serverID: 1, flavor: "mariadb"))

            // The primary goes on without the daemon; the replica catches up and is promoted.
            Thread.sleep(forTimeInterval: 0.5)
            workload.finish()
            XCTAssertNil(workload.error, "\(workload.error.map { "\($0)" } ?? "")")
            let primaryGTID = try XCTUnwrap(chain.db.query("SELECT @@gtid_binlog_pos AS g").value("g"))
            XCTAssertEqual(try replicaDB.query("SELECT MASTER_GTID_WAIT('\(primaryGTID)', 30) AS w").value("w"), "0")
            try replicaDB.execute("STOP SLAVE")
            try replicaDB.execute("RESET SLAVE ALL")
            chain.sandbox.mariadb.stop()
            let config = try String(contentsOfFile: chain.runConfigPath, encoding: .utf8)
            try config.replacingOccurrences(
                of: "port = \(chain.sandbox.mariadb.port)\n", with: "port = \(replica.port)\n"
            ).write(toFile: chain.runConfigPath, atomically: true, encoding: .utf8)

            workload.start(on: try replica.connect(), pause: 0.002)
            let restarted = Date()
            let daemon = try chain.startDaemon()
            Thread.sleep(forTimeInterval: 1)
            workload.finish()
            XCTAssertNil(workload.error, "\(workload.error.map { "\($0)" } ?? "")")
            let end = try XCTUnwrap(replicaDB.query("SELECT @@gtid_binlog_pos AS g").value("g"))
            let caughtUp = repeatedly(timeout: 60, every: 0.1, until: \.self) {
                guard let (r, k) = try? chain.sinkCheckpoints() else { return false }
                return r?.gtid == end && k?.gtid == end || !daemon.isRunning
            }
            XCTAssertTrue(caughtUp && daemon.isRunning, "not at \(end): \(chain.runLogTail())")
            let catchUp = Date().timeIntervalSince(restarted)
            XCTAssertTrue(
                LogFile.tail(chain.runLogPath, lines: 400).contains("resume_by=gtid"),
                "not resumed by GTID: \(chain.runLogTail())")
            let now = try chain.sinkCheckpoints()
            XCTAssertEqual(now.kafka?.source, SourceIdentity(serverID: UInt32(replica.serverID), flavor: "mariadb"))

            let deleted = workload.deleted
            let check = try ConsistencyCheck(
                mapping: chain.mapping, mysql: replicaDB, redis: try chain.client(chain.sandbox.primary),
                deletedKeys: deleted.keys.map { "account:\($0)" })
            XCTAssertTrue(check.consistent, check.summary)
            let truth = try CommittedRows(replicaDB)
            let topic = try chain.readTopic(timeout: 120) {
                KafkaCompleteness($0, live: truth.accounts, deleted: deleted, transfers: truth.transfers).complete
            }
            let kafka = KafkaCompleteness(topic, live: truth.accounts, deleted: deleted, transfers: truth.transfers)
            XCTAssertTrue(kafka.complete, kafka.summary)
            if !killing { XCTAssertEqual(kafka.duplicates, 0, "a clean stop replays nothing: \(kafka.summary)") }
            daemon.stop(grace: 15)
            chain.folder.forget(daemon)
            XCTAssertEqual(daemon.exitStatusIfExited(), 0, chain.runLogTail())
            print(
                "GTIDFailoverProcessTests(\(killing ? "kill -9" : "SIGTERM")): stopped at "
                    + "\(stoppedAt.kafka.map { "\($0.position) \($0.gtid)" } ?? "none") on server_id 1, resumed on server_id "
                    + "\(replica.serverID) up to \(end) "
                    + "\(String(format: "%.1f", catchUp)) s after its start (1 s of it the workload still writing); \(workload.committed.values.reduce(0, +)) transactions; "
                    + "\(check.rowsChecked) rows equal; Kafka \(kafka.summary); \(Int(Date().timeIntervalSince(started))) s"
            )
            return (chain, replica)
        } catch {
            chain.close()
            throw error
        }
    }
}
