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
        // Two more descriptors open: the next scrape counts them. Other threads of the test
        // process (clients left by earlier tests) may open or close one meanwhile, so the pair of
        // scrapes is repeated until one pair saw only the pipe.
        let counted = (0..<50).contains { _ in
            let before = value(registry.render(), "sluice_process_open_fds")
            let pipe = Pipe()
            text = registry.render()
            defer {
                try? pipe.fileHandleForReading.close()
                try? pipe.fileHandleForWriting.close()
            }
            return before.map { value(text, "sluice_process_open_fds") == $0 + 2 } ?? false
        }
        XCTAssertTrue(counted, "the pipe's two descriptors never showed in the next scrape: \(text)")
        // The CPU counter follows getrusage in whole seconds and never goes down.
        let cpu = try XCTUnwrap(value(text, "sluice_process_cpu_seconds_total"), text)
        XCTAssertEqual(cpu, Double(UInt64(ProcessMetrics.cpuSeconds())), accuracy: 1)
    }
}
