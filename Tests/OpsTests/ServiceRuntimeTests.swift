import Foundation
import XCTest

@testable import Ops

/// The runtime a daemon command starts: endpoint from `[metrics]`, notifications and watchdog.
final class ServiceRuntimeTests: XCTestCase {
    private let quiet = Logger(level: .error, format: .text) { _ in }

    /// A loopback port that was free a moment ago (the kernel's pick for port 0).
    private func freePort() throws -> Int {
        let probe = try HTTPServer(
            options: HTTPServerOptions(listen: HostPort(host: "127.0.0.1", port: 0)), logger: quiet
        ) {
            _ in .text(.ok, "")
        }
        defer { probe.stop() }
        return probe.port
    }

    private func metricsConfig(_ lines: String) throws -> MetricsConfig {
        let text = ConfigTestCase.minimal + "[metrics]\n" + lines
        switch SluiceConfig.parse(text, file: "t.toml", directory: ".", environment: [:]) {
        case .success(let loaded): return loaded.config.metrics
        case .failure(let errors): throw errors
        }
    }

    func testLifecycle() throws {
        let listener = try ServiceNotifierTests.NotifyListener(abstract: true)
        let port = try freePort()
        let config = try metricsConfig("listen = \"127.0.0.1:\(port)\"\nready_lag_seconds = 5\n")
        let lag = HealthFlag()  // true: caught up
        let environment = ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "600000000"]
        let runtime = try ServiceRuntime(
            metrics: config, environment: environment, registry: MetricsRegistry(), logger: quiet,
            readiness: { lag.value ? .lagging(seconds: 1) : .lagging(seconds: 9) }, isHealthy: { true })
        defer { runtime.shutdown() }
        XCTAssertEqual(runtime.metricsPort, port)
        XCTAssertEqual(listener.receive(), "WATCHDOG=1\n", "the pinger starts with the runtime")

        runtime.ready(status: "replicating, lag 1 s")
        runtime.status("lag 2 s")
        runtime.reloading(status: "reloading")
        runtime.stopping(status: "draining")
        XCTAssertEqual(listener.receive(), "READY=1\nSTATUS=replicating, lag 1 s\n")
        XCTAssertEqual(listener.receive(), "STATUS=lag 2 s\n")
        XCTAssertEqual(listener.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC="), true)
        XCTAssertEqual(listener.receive(), "STOPPING=1\nSTATUS=draining\n")

        let metrics = try RawClient.get("/metrics", port: port)
        XCTAssertEqual(metrics.httpStatus, 200)
        XCTAssertTrue(metrics.contains("# TYPE sluice_dr_lag_seconds gauge\n"), "product metrics declared")
        XCTAssertEqual(try RawClient.get("/readyz", port: port).httpStatus, 200)
        lag.value = false
        XCTAssertEqual(try RawClient.get("/readyz", port: port).httpBody, "not ready: lag 9 s exceeds 5 s\n")

        runtime.shutdown()
        XCTAssertThrowsError(try RawClient(port: port), "endpoint stopped")
    }

    func testDisabledEndpointAndNoSystemd() throws {
        let runtime = try ServiceRuntime(
            metrics: try metricsConfig("enabled = false\n"), environment: [:], registry: MetricsRegistry(),
            logger: quiet, readiness: { .notReady("x") }, isHealthy: { true })
        XCTAssertNil(runtime.metricsPort)
        XCTAssertFalse(runtime.notifier.isEnabled)
        runtime.ready(status: "no-op without systemd")
        runtime.shutdown()
    }

    func testPortInUse() throws {
        let holder = try HTTPServer(
            options: HTTPServerOptions(listen: HostPort(host: "127.0.0.1", port: 0)), logger: quiet
        ) {
            _ in .text(.ok, "")
        }
        defer { holder.stop() }
        let config = try metricsConfig("listen = \"127.0.0.1:\(holder.port)\"\n")
        XCTAssertThrowsError(
            try ServiceRuntime(
                metrics: config, environment: [:], registry: MetricsRegistry(), logger: quiet,
                readiness: { .notReady("x") }, isHealthy: { true })
        ) { error in
            XCTAssertEqual((error as? HTTPServerError)?.code, .bind)
        }
    }
}
