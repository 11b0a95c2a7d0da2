/// `[filter]`: which tables are replicated, by regular expressions over `db.table` (whole match).
public struct FilterConfig: Sendable, Equatable {
    /// A table is replicated when it matches one of these (empty = every table) ...
    public var include: [String]
    /// ... and none of these.
    public var exclude: [String]

    init(_ reader: TableReader) {
        include = reader.regexArray("include")
        exclude = reader.regexArray("exclude")
    }
}

/// `[metrics]`: the Prometheus endpoint and readiness.
public struct MetricsConfig: Sendable, Equatable {
    public var enabled: Bool
    public var listen: HostPort
    /// `/readyz` answers 503 when the lag exceeds this.
    public var readyLagSeconds: Double

    init(_ reader: TableReader) {
        enabled = reader.bool("enabled", default: true)
        listen = reader.hostPort("listen", default: HostPort(host: "127.0.0.1", port: 9187))
        readyLagSeconds = reader.float("ready_lag_seconds", default: 30, range: 0...86_400)
    }
}

/// `[lag]`: thresholds above which `sluice status` reports lag as a problem (exit 1).
public struct LagConfig: Sendable, Equatable {
    public var maxSeconds: Int
    public var maxBytes: Int

    init(_ reader: TableReader) {
        maxSeconds = reader.integer("max_seconds", default: 60, range: 1...Int(Int32.max)) ?? 60
        maxBytes = reader.integer("max_bytes", default: 67_108_864, range: 1...Int.max) ?? 67_108_864
    }
}

/// `[log]`.
public struct LogConfig: Sendable, Equatable {
    public var level: LogLevel
    public var format: LogFormat

    init(_ reader: TableReader) {
        level = reader.choice("level", default: LogLevel.info)
        format = reader.choice("format", default: LogFormat.text)
    }
}

/// `[daemon]`: the `sluice run` process.
public struct DaemonConfig: Sendable, Equatable {
    /// On SIGTERM, how long to finish in-flight work and write the checkpoint before exiting.
    public var shutdownTimeoutMS: Int
    /// Decoded transactions buffered between the source and the sinks (back-pressure beyond).
    public var queueCapacity: Int

    init(_ reader: TableReader) {
        shutdownTimeoutMS = reader.integer("shutdown_timeout_ms", default: 10_000, range: 0...3_600_000) ?? 10_000
        queueCapacity = reader.integer("queue_capacity", default: 1024, range: 1...1_000_000) ?? 1024
    }
}
