import Foundation
import MySQLSource
import Ops
import Timekeeping

/// Where the loop's source stands: the checkpoint and position after the last transaction it
/// took from the pump (before any, what the source reported before handing anything out).
struct SourceReading {
    private var taken = 0
    private var lastCheckpoint: SourceCheckpoint?
    private var lastPosition: SourceCheckpoint?
    private var lastEnded = true

    mutating func took(_ item: SourcePump.Item) {
        taken += 1
        lastEnded = item.transaction.checkpoint != nil
        lastCheckpoint = item.checkpoint
        lastPosition = item.position
    }

    func checkpoint(_ pump: SourcePump) -> SourceCheckpoint? {
        taken > 0 ? lastCheckpoint : pump.state.initialCheckpoint
    }
    func position(_ pump: SourcePump) -> SourceCheckpoint? { taken > 0 ? lastPosition : pump.state.initialPosition }

    /// The source server's time (seconds) up to which everything it sent was handed to the sinks:
    /// the lag reference (last event, or the last heartbeat, which the server sends only when it
    /// sent everything) when every item the reader published was taken and the last one ended
    /// its transaction; nil otherwise. What the DR watermark's `as_of` is made of.
    func caughtUp(_ state: SourcePump.State) -> Double? {
        guard taken == state.handedOut, lastEnded else { return nil }
        return state.lagTracker.reference
    }
}

/// The silence watches of the daemon's dependencies: the source (silent after three missed
/// heartbeats and two seconds, the replication read timeout) and each Redis sink (silent once
/// its batch waits longer than its `command_timeout_ms`). The Kafka sink says itself when it
/// holds ("Kafka: holding ...").
struct DependencyWatches {
    var source: SilenceWatch
    let heartbeatSeconds: Double
    var sinks: [String: SilenceWatch]
    /// Source failures already counted in `sluice_errors_total{kind="source_connection"}`.
    var failuresCounted = 0

    init(config: SluiceConfig) {
        heartbeatSeconds = Double(config.source?.heartbeatMS ?? 1000) / 1000
        source = SilenceWatch(timeout: min(3600, max(2, heartbeatSeconds * 3 + 2)))
        var sinks: [String: SilenceWatch] = [:]
        for cluster in config.redis {
            sinks["redis.\(cluster.name)"] = SilenceWatch(timeout: Double(cluster.commandTimeoutMS) / 1000)
        }
        self.sinks = sinks
    }
}

extension Daemon {
    /// One status period of the watches: counts new source failures, and logs one warning when
    /// a dependency stops answering and one line when it is back.
    func watch(
        _ w: inout DependencyWatches, source: SourcePump.State, sinksHeld: [(label: String, seconds: Double)],
        now instant: MonotonicInstant
    ) {
        let now = instant.seconds
        if source.failures > w.failuresCounted {
            for _ in w.failuresCounted..<source.failures { metrics.error(.sourceConnection) }
            w.failuresCounted = source.failures
        }
        let silent = source.pushing ? 0 : max(0, instant.seconds(since: source.waitingSince))
        let lastError = source.lastFailure.map { "\($0)" } ?? "none"
        switch w.source.observe(silentFor: silent, now: now) {
        case .silent(let seconds):
            logger.warning(
                "source: the server stopped answering",
                [
                    "silent_seconds": Self.seconds(seconds), "heartbeat_seconds": Self.seconds(w.heartbeatSeconds),
                    "timeout_seconds": Self.seconds(w.source.timeout), "connection_failures": .init(source.failures),
                    "last_error": .string(lastError),
                ])
        case .back(let seconds):
            logger.notice(
                "source: the server answers again",
                [
                    "silent_seconds": Self.seconds(seconds), "connection_failures": .init(source.failures),
                    "last_error": .string(lastError),
                ])
        case nil:
            break
        }
        for (label, seconds) in sinksHeld {
            guard var sink = w.sinks[label] else { continue }
            switch sink.observe(silentFor: seconds, now: now) {
            case .silent(let s):
                logger.warning(
                    "sink \(label): Redis stopped answering",
                    ["silent_seconds": Self.seconds(s), "timeout_seconds": Self.seconds(sink.timeout)])
            case .back(let s):
                logger.notice("sink \(label): Redis answers again", ["silent_seconds": Self.seconds(s)])
            case nil:
                break
            }
            w.sinks[label] = sink
        }
    }

    private static func seconds(_ value: Double) -> LogValue { .string(String(format: "%.1f", value)) }
}
