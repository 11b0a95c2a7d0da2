import Foundation
import XCTest

@testable import Ops

/// sluice_build_info and the process metrics, read at each scrape.
final class ProcessMetricsTests: XCTestCase {
    private func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    func testProcessMetricsDescribeThisProcess() throws {
        let registry = MetricsRegistry()
        try registry.declare(SluiceMetrics.all)
        ProcessMetrics.install(on: registry, version: "9.8.7")
        var text = registry.render()
        XCTAssertEqual(value(text, #"sluice_build_info{version="9.8.7"}"#), 1, text)
        let rss = try XCTUnwrap(value(text, "sluice_process_resident_memory_bytes"), text)
        XCTAssertGreaterThan(rss, 1_000_000)
        let start = try XCTUnwrap(value(text, "sluice_process_start_time_seconds"), text)
        let now = Date().timeIntervalSince1970
        XCTAssertLessThanOrEqual(start, now + 1)
        XCTAssertGreaterThan(start, now - 86_400, "the test process started within a day")
        let fds = try XCTUnwrap(value(text, "sluice_process_open_fds"), text)
        XCTAssertGreaterThanOrEqual(fds, 3)
        // Two more descriptors open: the next scrape counts them.
        let pipe = Pipe()
        text = registry.render()
        XCTAssertEqual(value(text, "sluice_process_open_fds"), fds + 2, text)
        try pipe.fileHandleForReading.close()
        try pipe.fileHandleForWriting.close()
        // The CPU counter follows getrusage in whole seconds and never goes down.
        let cpu = try XCTUnwrap(value(text, "sluice_process_cpu_seconds_total"), text)
        XCTAssertEqual(cpu, Double(UInt64(ProcessMetrics.cpuSeconds())), accuracy: 1)
    }
}
