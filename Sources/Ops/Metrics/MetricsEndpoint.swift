/// What the daemon says about being caught up, asked on every `/readyz`.
package enum Readiness: Sendable, Equatable {
    /// Running, this many seconds behind (source lag for `run`, DR lag for `dr-apply`).
    case lagging(seconds: Double)
    /// Not able to say it is caught up: starting, reconnecting, halted; the reason is shown.
    case notReady(String)
}

/// The routes of the metrics endpoint: `/metrics`, `/healthz`, `/readyz` (see docs/metrics.md).
package struct MetricsEndpoint: Sendable {
    private let registry: MetricsRegistry
    private let readyLagSeconds: Double
    private let readiness: @Sendable () -> Readiness

    /// - Parameters:
    ///   - readyLagSeconds: `/readyz` is 200 while the lag is at most this (`[metrics] ready_lag_seconds`).
    ///   - readiness: asked on each `/readyz`.
    package init(
        registry: MetricsRegistry, readyLagSeconds: Double, readiness: @escaping @Sendable () -> Readiness
    ) {
        self.registry = registry
        self.readyLagSeconds = readyLagSeconds
        self.readiness = readiness
    }

    package func respond(to request: HTTPRequestHead) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(
                .methodNotAllowed, "method \(request.method) not allowed",
                headers: [HTTPHeader(name: "Allow", value: "GET, HEAD")])
        }
        switch request.path {
        case "/metrics":
            return HTTPResponse(.ok, contentType: PrometheusText.contentType, body: registry.render())
        case "/healthz":
            return .text(.ok, "alive")
        case "/readyz":
            return ready()
        default:
            return .text(.notFound, "not found; try /metrics, /healthz or /readyz")
        }
    }

    private func ready() -> HTTPResponse {
        let threshold = PrometheusText.number(readyLagSeconds)
        switch readiness() {
        case .lagging(let seconds) where seconds <= readyLagSeconds:
            return .text(.ok, "ready: lag \(Self.seconds(seconds)) s, within \(threshold) s")
        case .lagging(let seconds):
            return .text(.serviceUnavailable, "not ready: lag \(Self.seconds(seconds)) s exceeds \(threshold) s")
        case .notReady(let reason):
            return .text(.serviceUnavailable, "not ready: \(reason)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return PrometheusText.number(value) }
        return PrometheusText.number((value * 1000).rounded() / 1000)
    }
}

extension HTTPServer {
    /// Starts the metrics endpoint described by `[metrics]`, or returns nil when it is disabled.
    package static func metrics(
        config: MetricsConfig, registry: MetricsRegistry, logger: Logger,
        readiness: @escaping @Sendable () -> Readiness
    ) throws(HTTPServerError) -> HTTPServer? {
        guard config.enabled else { return nil }
        let endpoint = MetricsEndpoint(
            registry: registry, readyLagSeconds: config.readyLagSeconds, readiness: readiness)
        return try HTTPServer(options: HTTPServerOptions(listen: config.listen), logger: logger) {
            endpoint.respond(to: $0)
        }
    }
}
