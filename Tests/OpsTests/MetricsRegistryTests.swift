import Foundation
import TestHelpers
import XCTest

@testable import Ops

/// The registry's exact Prometheus text, its errors, and the catalogue kept in step with
/// docs/metrics.md and config/sluice-alerts.yml.
final class MetricsRegistryTests: XCTestCase {
    private let requests = CounterDefinition("t_requests_total", "Requests.", labels: [.kind, .table])
    private let depth = GaugeDefinition("t_depth", "Queue depth.")
    private let latency = HistogramDefinition(
        "t_latency_seconds", "Latency.", labels: [.sink], buckets: [0.5, 0.1, 1, 0.1, .infinity])

    func testExactText() throws {
        let registry = MetricsRegistry()
        try registry.counter(requests, [.table: "b", .kind: "update"]).increment(by: 3)
        try registry.counter(requests, [.kind: "insert", .table: "a"]).increment()
        try registry.counter(requests, [.kind: "insert", .table: "a"]).increment()
        try registry.gauge(depth).set(-2.5)
        let histogram = try registry.histogram(latency, [.sink: "kafka"])
        for value in [0.0625, 0.09375, 0.25, 0.5, 2, .nan] { histogram.observe(value) }

        XCTAssertEqual(
            registry.render(),
            """
            # HELP t_depth Queue depth.
            # TYPE t_depth gauge
            t_depth -2.5
            # HELP t_latency_seconds Latency.
            # TYPE t_latency_seconds histogram
            t_latency_seconds_bucket{sink="kafka",le="0.1"} 2
            t_latency_seconds_bucket{sink="kafka",le="0.5"} 4
            t_latency_seconds_bucket{sink="kafka",le="1"} 4
            t_latency_seconds_bucket{sink="kafka",le="+Inf"} 5
            t_latency_seconds_sum{sink="kafka"} 2.90625
            t_latency_seconds_count{sink="kafka"} 5
            # HELP t_requests_total Requests.
            # TYPE t_requests_total counter
            t_requests_total{kind="insert",table="a"} 2
            t_requests_total{kind="update",table="b"} 3

            """)
    }

    func testEscapingAndNumbers() throws {
        let registry = MetricsRegistry()
        let odd = GaugeDefinition("t_odd", "Line one\nback\\slash \"quoted\".", labels: [.table])
        try registry.gauge(odd, [.table: "a\"b\\c\nd"]).set(1e-05)
        try registry.gauge(odd, [.table: "inf"]).set(.infinity)
        try registry.gauge(odd, [.table: "nan"]).set(.nan)
        try registry.gauge(odd, [.table: "big"]).set(1_234_567_890_123)
        XCTAssertEqual(
            registry.render(),
            """
            # HELP t_odd Line one\\nback\\\\slash "quoted".
            # TYPE t_odd gauge
            t_odd{table="a\\"b\\\\c\\nd"} 1e-05
            t_odd{table="big"} 1234567890123
            t_odd{table="inf"} +Inf
            t_odd{table="nan"} NaN

            """)
    }

    func testDeclareListsEveryMetricAndStableOutput() throws {
        let registry = MetricsRegistry()
        try registry.declare(SluiceMetrics.all)
        let text = registry.render()
        XCTAssertTrue(
            text.contains("# TYPE sluice_source_rows_total counter\n# HELP sluice_source_transactions_total"), text)
        XCTAssertTrue(text.contains("\nsluice_source_lag_seconds 0\n"))
        XCTAssertTrue(text.contains("\nsluice_kafka_delivery_latency_seconds_bucket{le=\"0.001\"} 0\n"))
        XCTAssertFalse(text.contains("sluice_source_rows_total{"), "labelled metrics have no sample until used")
        XCTAssertEqual(text, registry.render())
        XCTAssertEqual(text.components(separatedBy: "# TYPE ").count - 1, SluiceMetrics.all.count)
    }

    func testRegistrationErrors() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter(requests, [.kind: "x", .table: "t"])
        XCTAssertThrowsError(try registry.counter(requests, [.kind: "x"])) { error in
            XCTAssertEqual(
                (error as? MetricsError)?.description,
                "metric t_requests_total: expected labels [kind, table], given [kind] [labelMismatch]")
        }
        XCTAssertThrowsError(
            try registry.gauge(
                GaugeDefinition("t_requests_total", "Requests.", labels: [.kind, .table]), [.kind: "x", .table: "t"])
        ) {
            XCTAssertEqual(($0 as? MetricsError)?.code, .conflictingDefinition)
        }
        XCTAssertThrowsError(
            try registry.counter(
                CounterDefinition("t_requests_total", "Other help.", labels: [.kind, .table]),
                [.kind: "x", .table: "t"])
        ) {
            XCTAssertEqual(($0 as? MetricsError)?.code, .conflictingDefinition)
        }
        XCTAssertThrowsError(try registry.gauge(GaugeDefinition("9lives", "x"))) {
            XCTAssertEqual(($0 as? MetricsError)?.code, .invalidName)
        }
        XCTAssertThrowsError(try registry.gauge(GaugeDefinition("a-b", "x"))) {
            XCTAssertEqual(($0 as? MetricsError)?.code, .invalidName)
        }
    }

    /// Increments from many threads on shared and separately resolved handles are all counted.
    func testConcurrentIncrements() throws {
        let registry = MetricsRegistry()
        let shared = try registry.counter(requests, [.kind: "k", .table: "t"])
        let histogram = try registry.histogram(latency, [.sink: "s"])
        let requests = self.requests
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in 0..<10_000 {
                shared.increment()
                histogram.observe(Double(index % 3))
                if index % 100 == 0 {
                    try? registry.counter(requests, [.kind: "k\(worker)", .table: "t"]).increment()
                    _ = registry.render()
                }
            }
        }
        XCTAssertEqual(shared.value, 80_000)
        XCTAssertEqual(histogram.snapshot.count, 80_000)
        XCTAssertEqual(histogram.snapshot.sum, 80_000.0 * (0 + 1 + 2) / 3, accuracy: 8)
        XCTAssertTrue(registry.render().contains("t_requests_total{kind=\"k7\",table=\"t\"} 100\n"))
    }

    func testCollectHookRunsBeforeRender() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.gauge(depth)
        let counter = try registry.counter(CounterDefinition("t_renders_total", "Renders."))
        registry.onCollect {
            counter.increment()
            gauge.set(Double(counter.value) * 10)
        }
        _ = registry.render()
        XCTAssertTrue(registry.render().contains("t_depth 20\n"))
    }

    /// Product metrics: unique valid names, counters end in _total, and each one is documented in
    /// docs/metrics.md.
    func testCatalogueMatchesDocs() throws {
        let names = SluiceMetrics.catalogue.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertNoThrow(try MetricsRegistry().declare(SluiceMetrics.catalogue))
        for definition in SluiceMetrics.catalogue {
            XCTAssertTrue(definition.name.hasPrefix("sluice_"), definition.name)
            XCTAssertEqual(definition.type == .counter, definition.name.hasSuffix("_total"), definition.name)
        }
        let docs = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        for definition in SluiceMetrics.catalogue {
            let labels = definition.labels.map(\.rawValue).joined(separator: ", ")
            let row = "| `\(definition.name)` | \(definition.type.rawValue) | \(labels.isEmpty ? "-" : labels) |"
            XCTAssertTrue(docs.contains(row), "docs/metrics.md lacks the row starting \(row)")
        }
    }

    /// The kinds docs/metrics.md lists for `sluice_errors_total` are exactly `ErrorKind`'s: every
    /// kind counted is documented and no documented kind is one nothing counts.
    func testErrorKindsMatchDocs() throws {
        let docs = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let row = try XCTUnwrap(
            docs.split(separator: "\n").first { $0.hasPrefix("| `\(SluiceMetrics.errors.name)` |") })
        let meaning = try XCTUnwrap(row.split(separator: "|").last)
        // Backticked snake-case words of the meaning column, but for the label's own name.
        let documented = meaning.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            .filter { $0 != "kind" && !$0.isEmpty && $0.allSatisfy { $0 == "_" || ("a"..."z").contains($0) } }
        XCTAssertEqual(documented.count, Set(documented).count, "a kind listed twice: \(documented)")
        XCTAssertEqual(Set(documented), Set(SluiceMetrics.ErrorKind.allCases.map(\.rawValue)))
        // And the registry accepts each as a label value of the counter.
        let registry = MetricsRegistry()
        for kind in SluiceMetrics.ErrorKind.allCases {
            XCTAssertNoThrow(try registry.counter(SluiceMetrics.errors, [.kind: kind.rawValue]).increment())
        }
        XCTAssertTrue(registry.render().contains(#"sluice_errors_total{kind="lease_lost"} 1"# + "\n"))
    }

    /// Every sluice_* name in the alerting rules is an exported metric (or a histogram series).
    func testAlertRulesReferToExportedMetrics() throws {
        let rules = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("config/sluice-alerts.yml"), encoding: .utf8)
        var known = Set(SluiceMetrics.catalogue.map(\.name))
        for case let histogram as HistogramDefinition in SluiceMetrics.catalogue {
            known.formUnion(["_bucket", "_sum", "_count"].map { histogram.name + $0 })
        }
        let regex = try NSRegularExpression(pattern: "\\bsluice_[a-z_]+")
        let used = Set(
            regex.matches(in: rules, range: NSRange(rules.startIndex..., in: rules)).compactMap {
                Range($0.range, in: rules).map { String(rules[$0]) }
            })
        XCTAssertFalse(used.isEmpty)
        XCTAssertEqual(used.subtracting(known), [], "alert rules name metrics sluice doesn't export")
        for name in [
            "sluice_source_lag_seconds", "sluice_checkpoint_age_seconds", "sluice_dr_lag_seconds",
            "sluice_sink_blocked_seconds", "sluice_sink_lag_seconds", "sluice_redis_wait_shortfalls_total",
        ] {
            XCTAssertTrue(used.contains(name), "no alert uses \(name)")
        }
    }

    /// The rules file is YAML Prometheus can load: groups of rules, each with an alert name, an
    /// expression, a `for:`, a severity, a summary and a runbook_url whose section exists in
    /// docs/runbook.md; `absent()` watches both scrape jobs (checked with PyYAML when python3 has it).
    func testAlertRulesAreValidYAML() throws {
        let path = Self.packageRoot.appendingPathComponent("config/sluice-alerts.yml").path
        let script = """
            import sys, yaml
            doc = yaml.safe_load(open(sys.argv[1]))
            runbook = open(sys.argv[2]).read()
            names = []
            for group in doc["groups"]:
                assert group["name"] and group["rules"], group
                for rule in group["rules"]:
                    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
                    assert rule["expr"].strip() and rule["labels"]["severity"] in ("warning", "critical"), rule
                    assert rule["annotations"]["summary"], rule
                    assert "for" in rule, rule
                    url = rule["annotations"]["runbook_url"]
                    assert url == "docs/runbook.md#" + rule["alert"].lower(), url
                    assert "\\n## " + rule["alert"] + "\\n" in runbook, rule["alert"]
                    names.append(rule["alert"])
            assert len(names) == len(set(names)), names
            exprs = [rule["expr"] for group in doc["groups"] for rule in group["rules"]]
            for job in ("sluice", "sluice-dr-apply"):
                assert 'absent(up{job="%s"})' % job in exprs, job
            print(len(names))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import yaml"]
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            throw XCTSkip("python3 is not available to parse YAML")
        }
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 has no yaml module (PyYAML)") }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let runbook = Self.packageRoot.appendingPathComponent("docs/runbook.md").path
        check.arguments = ["python3", "-c", script, path, runbook]
        let output = Pipe()
        check.standardOutput = output
        check.standardError = output
        try check.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, text)
        XCTAssertEqual(text, "21\n")
    }

    static var packageRoot: URL { BuiltBinary.packageRoot }
}
