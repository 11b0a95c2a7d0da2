import Binlog
import MySQLSource
import Ops
import Timekeeping
import XCTest

@testable import Replication

/// Per-sink lag (`SinkLag`, exported by `SinkMetrics` as sluice_sink_lag_seconds/_bytes) and the
/// WAIT shortfall counter. The live daemon's values are checked in DaemonProcessTests.
final class SinkLagTests: XCTestCase {
    private func at(_ file: String, _ offset: UInt64, time: Int64) -> SinkCheckpoint {
        SinkCheckpoint(position: BinlogPosition(file: file, offset: offset), gtid: nil, commitTime: time)
    }

    func testCaughtUpSinkLagsLikeTheSource() {
        var lag = SinkLag()
        lag.observeRead(at("bin.000001", 900, time: 1000))
        let acked = at("bin.000001", 900, time: 1000)
        XCTAssertEqual(lag.seconds(acknowledged: acked, sourceLagSeconds: 0.4), 0.4)
        XCTAssertEqual(lag.bytes(acknowledged: acked, sourceLagBytes: 0), 0)
        XCTAssertEqual(lag.bytes(acknowledged: acked, sourceLagBytes: 120), 120)
    }

    func testBehindSinkAddsWhatWasReadPastItsCheckpoint() {
        var lag = SinkLag()
        lag.observeRead(at("bin.000001", 400, time: 1000))
        lag.observeRead(at("bin.000001", 900, time: 1007))
        let acked = at("bin.000001", 400, time: 1000)
        XCTAssertEqual(lag.seconds(acknowledged: acked, sourceLagSeconds: 1), 8)
        XCTAssertEqual(lag.bytes(acknowledged: acked, sourceLagBytes: 50), 550)
        // An older read reported late does not move the read position back.
        lag.observeRead(at("bin.000001", 600, time: 1003))
        XCTAssertEqual(lag.read?.position.offset, 900)
    }

    /// Across rotations each passed file counts up to its last offset read; files order by number.
    func testBytesAcrossRotations() {
        var lag = SinkLag()
        lag.observeRead(at("bin.000009", 1000, time: 1))
        lag.observeRead(at("bin.000010", 3000, time: 2))
        lag.observeRead(at("bin.000011", 200, time: 3))
        XCTAssertEqual(lag.bytesRead(after: BinlogPosition(file: "bin.000009", offset: 400)), 600 + 3000 + 200)
        XCTAssertEqual(lag.bytesRead(after: BinlogPosition(file: "bin.000010", offset: 3000)), 200)
        XCTAssertEqual(lag.bytesRead(after: BinlogPosition(file: "bin.000011", offset: 200)), 0)
        XCTAssertEqual(lag.bytesRead(after: BinlogPosition(file: "bin.000012", offset: 4)), 0)
        // A checkpoint in a file never read (before the reader's start): counted from the next.
        XCTAssertEqual(lag.bytesRead(after: BinlogPosition(file: "bin.000008", offset: 4)), 1000 + 3000 + 200)
    }

    func testNoReadYetMeansTheSourceLagOnly() {
        let lag = SinkLag()
        let acked = at("bin.000001", 400, time: 1000)
        XCTAssertEqual(lag.seconds(acknowledged: acked, sourceLagSeconds: 2), 2)
        XCTAssertEqual(lag.bytes(acknowledged: acked, sourceLagBytes: 7), 7)
    }

    /// SinkMetrics: a gauge pair per sink with a checkpoint, bytes kept from the last measurement,
    /// and the WAIT shortfall counter.
    func testSinkMetricsExportLagAndShortfalls() {
        let registry = MetricsRegistry()
        let metrics = SinkMetrics(registry: registry, clock: ManualClock(monotonicSeconds: 5000))
        metrics.read(at("bin.000001", 700, time: 1010))
        metrics.checkpoint(sink: "redis.primary", at("bin.000001", 700, time: 1010))
        metrics.checkpoint(sink: "kafka", at("bin.000001", 300, time: 1004))
        metrics.updateAges(source: SourceLag(secondsBehind: 0.5, bytesBehind: 20))
        metrics.updateAges(source: SourceLag(secondsBehind: 0.5, bytesBehind: nil))
        metrics.waitShortfalls(sink: "redis.primary", count: 0)
        metrics.waitShortfalls(sink: "redis.primary", count: 3)
        let text = registry.render()
        for line in [
            #"sluice_sink_lag_seconds{sink="redis.primary"} 0.5"#, #"sluice_sink_lag_seconds{sink="kafka"} 6.5"#,
            #"sluice_sink_lag_bytes{sink="redis.primary"} 20"#, #"sluice_sink_lag_bytes{sink="kafka"} 420"#,
            #"sluice_redis_wait_shortfalls_total{sink="redis.primary"} 3"#,
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "\(line) in\n\(text)")
        }
        XCTAssertFalse(text.contains(#"sluice_redis_wait_shortfalls_total{sink="kafka"}"#), text)
    }
}
