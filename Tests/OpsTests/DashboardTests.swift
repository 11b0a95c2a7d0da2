import Foundation
import XCTest

@testable import Ops

/// config/sluice-dashboard.json (Grafana): every query names only metrics of the catalogue
/// (`SluiceMetrics`), each panel has a query, and the views the operators need are there.
final class DashboardTests: XCTestCase {
    private func dashboard() throws -> [String: Any] {
        let url = ConfigTestCase.packageRoot.appendingPathComponent("config/sluice-dashboard.json")
        let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        return try XCTUnwrap(object as? [String: Any], "the dashboard is a JSON object")
    }

    /// Every `expr` and `query` string anywhere in the document.
    private func queries(in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, inner -> [String] in
                if ["expr", "query"].contains(key), let text = inner as? String { return [text] }
                return queries(in: inner)
            }
        }
        if let array = value as? [Any] { return array.flatMap { queries(in: $0) } }
        return []
    }

    func testEveryQueryNamesACatalogueMetric() throws {
        let document = try dashboard()
        var known = Set(SluiceMetrics.catalogue.map(\.name))
        for case let histogram as HistogramDefinition in SluiceMetrics.catalogue {
            known.formUnion(["_bucket", "_sum", "_count"].map { histogram.name + $0 })
        }
        let regex = try NSRegularExpression(pattern: "\\bsluice_[a-z_]+")
        var used = Set<String>()
        for text in queries(in: document) {
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range, in: text) { used.insert(String(text[range])) }
            }
        }
        XCTAssertEqual(used.subtracting(known), [], "the dashboard queries metrics sluice doesn't export")
        for name in [
            "sluice_source_lag_seconds", "sluice_sink_lag_seconds", "sluice_sink_lag_bytes",
            "sluice_sink_rows_applied_total", "sluice_errors_total", "sluice_dr_lag_seconds",
            "sluice_dr_messages_behind", "sluice_kafka_queue_depth", "sluice_redis_wait_shortfalls_total",
        ] {
            XCTAssertTrue(used.contains(name), "no panel draws \(name)")
        }
    }

    func testPanelsAreWellFormed() throws {
        let document = try dashboard()
        XCTAssertEqual(document["uid"] as? String, "sluice-cdc")
        let panels = try XCTUnwrap(document["panels"] as? [[String: Any]])
        XCTAssertGreaterThan(panels.count, 10)
        let ids = panels.compactMap { $0["id"] as? Int }
        XCTAssertEqual(Set(ids).count, panels.count, "panel ids are unique")
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let grid = try XCTUnwrap(panel["gridPos"] as? [String: Int], title)
            XCTAssertEqual(Set(grid.keys), ["h", "w", "x", "y"], title)
            XCTAssertLessThanOrEqual((grid["x"] ?? 0) + (grid["w"] ?? 0), 24, title)
            guard panel["type"] as? String != "row" else { continue }
            let targets = try XCTUnwrap(panel["targets"] as? [[String: Any]], title)
            XCTAssertFalse(targets.isEmpty, title)
            for target in targets {
                XCTAssertFalse((target["expr"] as? String ?? "").isEmpty, title)
            }
        }
    }
}
