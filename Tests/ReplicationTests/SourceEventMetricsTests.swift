import Binlog
import Foundation
import MySQLSource
import Ops
import XCTest

@testable import Replication

/// `sluice_source_events_total` and the Kafka delivery latency as `sluice run` keeps them (the live
/// counts are checked against a known workload in DaemonProcessTests).
final class SourceEventMetricsTests: XCTestCase {
    func testEventKindsAreSnakeCaseWithoutRowFormatVersion() {
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.writeRowsV1.rawValue), "write_rows")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.updateRowsV2.rawValue), "update_rows")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.tableMap.rawValue), "table_map")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.mariadbGtid.rawValue), "mariadb_gtid")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.formatDescription.rawValue), "format_description")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.xid.rawValue), "xid")
        XCTAssertEqual(DaemonMetrics.eventKind(EventType.heartbeatV2.rawValue), "heartbeat")
        XCTAssertEqual(DaemonMetrics.eventKind(0), "unknown")
        XCTAssertEqual(DaemonMetrics.eventKind(250), "unknown")
    }

    /// Every event type has a snake-case label from the table, and the kinds docs/metrics.md
    /// names for `sluice_source_events_total` are labels the table gives.
    func testEveryEventTypeHasALabelAndTheDocumentedOnesExist() throws {
        var labels: Set<String> = []
        for type in EventType.allCases {
            let label = DaemonMetrics.eventKind(type)
            XCTAssertFalse(label.isEmpty, "\(type)")
            XCTAssertTrue(label.allSatisfy { $0 == "_" || ("a"..."z").contains($0) }, "\(type): \(label)")
            XCTAssertEqual(DaemonMetrics.eventKind(type.rawValue), label)
            labels.insert(label)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let row = try XCTUnwrap(
            docs.split(separator: "\n").first { $0.hasPrefix("| `sluice_source_events_total` |") })
        let meaning = try XCTUnwrap(row.split(separator: "|").last)
        let documented = meaning.split(separator: "`", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }.filter { $0 != "kind" }
        XCTAssertGreaterThan(documented.count, 5)
        XCTAssertEqual(documented.filter { !labels.contains($0) }, [])
    }

    func testEventCountsAddOnlyWhatIsNew() {
        let registry = MetricsRegistry()
        let metrics = DaemonMetrics(registry: registry)
        metrics.observe(events: [EventType.tableMap.rawValue: 3])
        metrics.observe(events: [EventType.tableMap.rawValue: 5, EventType.xid.rawValue: 1])
        metrics.observe(events: [EventType.tableMap.rawValue: 5, EventType.xid.rawValue: 1])
        let text = registry.render()
        XCTAssertTrue(text.contains(#"sluice_source_events_total{kind="table_map"} 5"# + "\n"), text)
        XCTAssertTrue(text.contains(#"sluice_source_events_total{kind="xid"} 1"# + "\n"), text)
    }

    func testTransactionsCountedByKindWithXARollbackApart() {
        let registry = MetricsRegistry()
        let metrics = DaemonMetrics(registry: registry)
        let at = BinlogPosition(file: "bin.000001", offset: 4)
        let xid = XID(formatID: 1, gtrid: Array("t1".utf8), bqual: [])
        metrics.count(SourceTransaction(gtid: nil, changes: [], start: at, end: at, timestamp: 0, checkpoint: nil))
        metrics.count(
            SourceTransaction(gtid: nil, xid: xid, changes: [], start: at, end: at, timestamp: 0, checkpoint: nil))
        for _ in 0..<2 {
            metrics.count(
                SourceTransaction(
                    gtid: nil, xid: xid, rolledBack: true, changes: [], start: at, end: at, timestamp: 0,
                    checkpoint: nil))
        }
        let text = registry.render()
        for line in [
            #"sluice_source_transactions_total{kind="commit"} 1"#,
            #"sluice_source_transactions_total{kind="xa_commit"} 1"#,
            #"sluice_source_transactions_total{kind="xa_rollback"} 2"#,
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "\(line) in\n\(text)")
        }
    }

    func testKafkaObserverTimesDeliveries() {
        let registry = MetricsRegistry()
        let observer = SinkMetrics(registry: registry).kafkaObserver()
        observer.delivered?(0.003)
        observer.delivered?(0.2)
        let text = registry.render()
        for line in [
            #"sluice_kafka_delivery_latency_seconds_bucket{le="0.0025"} 0"#,
            #"sluice_kafka_delivery_latency_seconds_bucket{le="0.005"} 1"#,
            #"sluice_kafka_delivery_latency_seconds_bucket{le="0.25"} 2"#,
            "sluice_kafka_delivery_latency_seconds_count 2",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "\(line) in\n\(text)")
        }
    }
}
