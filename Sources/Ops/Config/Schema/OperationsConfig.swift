/// `[filter]`: which tables are replicated, by regular expressions over `db.table` (whole match).
package struct FilterConfig: Sendable, Equatable {
    /// A table is replicated when it matches one of these (empty = every table) ...
    package var include: [String]
    /// ... and none of these.
    package var exclude: [String]

    init(_ reader: TableReader) {
        include = reader.regexArray("include")
        exclude = reader.regexArray("exclude")
    }
}

/// `[metrics]`: the Prometheus endpoint and readiness.
package struct MetricsConfig: Sendable, Equatable {
    package var enabled: Bool
    package var listen: HostPort
    /// `/readyz` answers 503 when the lag exceeds this.
    package var readyLagSeconds: Double

    init(_ reader: TableReader) {
        enabled = reader.bool("enabled", default: true)
        listen = reader.hostPort("listen", default: HostPort(host: "127.0.0.1", port: 9187))
        readyLagSeconds = reader.float("ready_lag_seconds", default: 30, range: 0...86_400)
    }
}

/// `[lag]`: thresholds above which `sluice status` reports lag as a problem (exit 1).
package struct LagConfig: Sendable, Equatable {
    package var maxSeconds: Int
    package var maxBytes: Int

    init(_ reader: TableReader) {
        maxSeconds = reader.integer("max_seconds", default: 60, range: 1...Int(Int32.max)) ?? 60
        maxBytes = reader.integer("max_bytes", default: 67_108_864, range: 1...Int.max) ?? 67_108_864
    }
}

/// `[log]`.
package struct LogConfig: Sendable, Equatable {
    package var level: LogLevel
    package var format: LogFormat

    init(_ reader: TableReader) {
        level = reader.choice("level", default: LogLevel.info)
        format = reader.choice("format", default: LogFormat.text)
    }
}

/// `[daemon]`: the `sluice run` process.
package struct DaemonConfig: Sendable, Equatable {
    /// On SIGTERM, how long to finish in-flight work and write the checkpoint before exiting.
    package var shutdownTimeoutMS: Int
    /// Decoded transactions buffered between the source and the sinks (back-pressure beyond).
    package var queueCapacity: Int

    init(_ reader: TableReader) {
        shutdownTimeoutMS = reader.integer("shutdown_timeout_ms", default: 10_000, range: 0...3_600_000) ?? 10_000
        queueCapacity = reader.integer("queue_capacity", default: 1024, range: 1...1_000_000) ?? 1024
    }
}
