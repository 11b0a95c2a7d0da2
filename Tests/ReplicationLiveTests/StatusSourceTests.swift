import Binlog
import Foundation
import MySQLSource
import Ops
import RedisCluster
import TestSupport
import XCTest

@testable import Replication

/// `sluice status` against a real MariaDB and a sink's real checkpoint: bytes, seconds and GTID
/// transactions behind the binlog end, judged against `[lag]`.
final class StatusSourceTests: XCTestCase {
    func testSinkLagAgainstTheBinlogEnd() throws {
        let folder = try SandboxFolder(label: "status-source")
        defer { folder.close() }
        let ports = PortAllocator()
        let server: MariaDBServer
        let redis: RedisClusterSandbox
        do {
            server = try MariaDBServer(in: folder, ports: ports)
            redis = try RedisClusterSandbox(in: folder, ports: ports, name: "primary", masters: 3)
        } catch {
            throw XCTSkip("sandbox did not start: \(error)")
        }
        let text = """
            [source]
            host = "127.0.0.1"
            port = \(server.port)
            user = "root"
            server_id = 99

            [redis.primary]
            seeds = [\(redis.ports.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            mode = "cluster"

            [lag]
            max_seconds = 60
            max_bytes = 100
            """
        let config: SluiceConfig
        switch SluiceConfig.parse(text, file: "status.toml", directory: folder.path, environment: [:]) {
        case .success(let loaded): config = loaded.config
        case .failure(let errors): return XCTFail("\(errors)")
        }
        let sql = try server.connect()
        _ = try sql.execute("CREATE DATABASE pay")
        _ = try sql.execute("CREATE TABLE pay.t (id INT PRIMARY KEY, v INT)")
        func end() throws -> (BinlogPosition, String) {
            let m = try sql.query("SHOW MASTER STATUS")
            let gtid = try sql.query("SELECT @@gtid_binlog_pos AS p").value("p") ?? ""
            return (BinlogPosition(file: m.value("File") ?? "", offset: UInt64(m.value("Position") ?? "") ?? 0), gtid)
        }

        var status = LagStatus.gather(config: config)
        XCTAssertEqual(status.rows.map(\.name), ["source", "redis.primary"])
        XCTAssertEqual(status.rows[0].state, .ok)
        XCTAssertEqual(status.rows[1].state, .unknown("no checkpoint yet"))
        XCTAssertEqual(status.exitStatus, 3)

        let (first, gtid) = try end()
        let sink = try RedisSink.make(config: config, cluster: "primary")
        let now = Date().timeIntervalSince1970
        let checkpoint = SinkCheckpoint(position: first, gtid: gtid, commitTime: Int64(now) - 20)
        _ = try sink.applier.client.send(checkpoint.hsetCommand(key: sink.checkpointKey), key: sink.checkpointKey)
        status = LagStatus.gather(config: config, now: now)
        XCTAssertEqual(status.rows[1].bytes, 0)
        XCTAssertEqual(status.rows[1].seconds, 0, "nothing behind: caught up whatever the commit time")
        XCTAssertEqual(status.rows[1].transactions, 0)
        XCTAssertEqual(status.exitStatus, 0, status.text)
        XCTAssertTrue(status.rows[0].position.hasPrefix("\(first.file):\(first.offset) gtid "), status.rows[0].position)

        for i in 1...5 { _ = try sql.execute("INSERT INTO pay.t VALUES (\(i), \(i))") }
        let (second, _) = try end()
        status = LagStatus.gather(config: config, now: now)
        XCTAssertEqual(status.rows[1].bytes, second.offset - first.offset)
        XCTAssertEqual(status.rows[1].transactions, 5)
        XCTAssertEqual(status.rows[1].seconds ?? -1, 20, accuracy: 1)
        XCTAssertEqual(status.rows[1].state, .lagging, "over max_bytes = 100")
        XCTAssertEqual(status.exitStatus, 3)
        XCTAssertTrue(status.text.contains("redis.primary  LAGGING"), status.text)
        XCTAssertTrue(status.json.contains(#""component":"redis.primary","state":"lagging""#), status.json)
    }
}
