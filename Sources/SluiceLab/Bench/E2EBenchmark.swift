import Foundation
import Ops
import RedisCluster
import Timekeeping

/// `sluice bench e2e`: a paced `TransferLoad` against a source the daemon replicates, with lag
/// measured from each sampled transaction's COMMIT returning to its keys being visible in Redis
/// (`VisibilityWatcher`). `run` measures one rate, printing a status line per second;
/// `findMax` steps the rate up until the lag limit or the rate is missed.
package final class E2EBenchmark {
    package struct Settings: Sendable, Equatable {
        /// Transactions sampled per second, spread evenly (every rate/samples-th transaction).
        package var samplesPerSecond: Double
        /// A step passes when its p99 lag is at most this and it reached `rateFraction` of its target.
        package var lagLimitMilliseconds: Double
        package var rateFraction: Double
        /// How long, after the load stops, the last samples may take to become visible.
        package var settleSeconds: Double

        package init(
            samplesPerSecond: Double = 500, lagLimitMilliseconds: Double = 100, rateFraction: Double = 0.95,
            settleSeconds: Double = 30
        ) {
            self.samplesPerSecond = samplesPerSecond
            self.lagLimitMilliseconds = lagLimitMilliseconds
            self.rateFraction = rateFraction
            self.settleSeconds = settleSeconds
        }
    }

    /// One measured rate.
    package struct Step: Sendable, Equatable {
        package var target: Double
        package var outcome: TransferLoad.Outcome
        package var lag: LagSummary
        /// Samples not visible within the settle time (or the watcher's timeout).
        package var unseen: Int
        package var pollIntervalMilliseconds: Double
        package var connections: Int
        package var peakRSSMegabytes: Double

        /// Reached the rate, every sample seen, p99 within the limit.
        package func passes(_ settings: Settings) -> Bool {
            outcome.error == nil && unseen == 0 && lag.count > 0 && lag.p99 <= settings.lagLimitMilliseconds
                && outcome.window.sustains(target, fraction: settings.rateFraction)
        }

        /// The report's JSON object (one line); `extra` fields are appended as given.
        package func json(extra: [(String, String)] = []) -> String {
            func f(_ v: Double) -> String { String(format: "%.1f", v) }
            var fields: [(String, String)] = [
                ("target_tps", f(target)), ("seconds", String(format: "%.2f", outcome.window.seconds)),
                ("connections", "\(connections)"), ("tps", f(outcome.window.transactionsPerSecond)),
                ("rows_per_s", f(outcome.window.rowsPerSecond)), ("lag_p50_ms", f(lag.p50)),
                ("lag_p99_ms", f(lag.p99)), ("lag_max_ms", f(lag.max)), ("lag_samples", "\(lag.count)"),
                ("lag_unseen", "\(unseen)"), ("poll_interval_ms", f(pollIntervalMilliseconds)),
                ("refused", "\(outcome.refused)"), ("peak_rss_mb", f(peakRSSMegabytes)),
            ]
            if let error = outcome.error { fields.append(("error", QuotedString.quote("\(error)"))) }
            fields += extra
            return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        }

        /// One row of the `--find-max` table.
        package var row: String {
            String(
                format: "%7.0f  %8.1f  %9.1f  %8.1f  %8.1f  %8.1f  %6d  %6d", target,
                outcome.window.transactionsPerSecond,
                outcome.window.rowsPerSecond, lag.p50, lag.p99, lag.max, lag.count, unseen)
        }

        package static let rowHeader = " target       tps     rows/s   p50 ms   p99 ms   max ms  samples unseen"
    }

    private let load: TransferLoad
    private let watcher: VisibilityWatcher
    private let daemonStatus: () -> String?
    private let waitForCatchUp: () -> Void
    private let settings: Settings
    private let out: (String) -> Void

    /// `daemonStatus`: the daemon's status line for the per-second output; `waitForCatchUp`:
    /// returns once every sink reached the source's end (called before each measured rate, so
    /// no backlog of the setup or of the previous step runs into it).
    package init(
        load: TransferLoad, watcher: VisibilityWatcher, settings: Settings, daemonStatus: @escaping () -> String?,
        waitForCatchUp: @escaping () -> Void = {}, out: @escaping (String) -> Void
    ) {
        self.waitForCatchUp = waitForCatchUp
        self.load = load
        self.watcher = watcher
        self.settings = settings
        self.daemonStatus = daemonStatus
        self.out = out
    }

    /// Runs `rate` transactions/s for `seconds`, a status line per second, then waits for the
    /// last samples to become visible.
    package func run(rate: Double, seconds: Double) -> Step {
        waitForCatchUp()
        _ = watcher.lags(reset: true)
        let unseenBefore = watcher.counts.unseen
        let schedule = PacedSchedule(rate: rate, samplesPerSecond: settings.samplesPerSecond)
        let finished = DispatchSemaphore(value: 0)
        let result = OutcomeBox()
        let (load, watcher) = (self.load, self.watcher)
        Thread.detachNewThread {
            result.set(load.run(schedule, seconds: seconds, watcher: watcher))
            finished.signal()
        }
        let started = Stopwatch()
        var second = 1
        var lastCommitted = load.committed
        while finished.wait(timeout: .now() + max(0, Double(second) - started.seconds)) == .timedOut {
            let committed = load.committed
            let lag = LagSummary(milliseconds: watcher.takeFresh())
            out(
                String(
                    format: "%4d s  %6d tps  %6d rows/s  lag %@  daemon: %@", second, committed - lastCommitted,
                    (committed - lastCommitted) * TransferLoad.rowsPerTransaction, lag.text,
                    daemonStatus() ?? "starting"))
            lastCommitted = committed
            second += 1
        }
        if !watcher.settle(timeoutSeconds: settings.settleSeconds) {
            out("some samples were not visible \(Int(settings.settleSeconds)) s after the load stopped")
        }
        let counts = watcher.counts
        return Step(
            target: rate, outcome: result.get(), lag: LagSummary(milliseconds: watcher.lags()),
            unseen: counts.unseen - unseenBefore + counts.pending,
            pollIntervalMilliseconds: watcher.pollInterval * 1000,
            connections: load.connections, peakRSSMegabytes: ApplyBenchmark.peakRSSMegabytes())
    }

    /// Steps the rate from `start` by `step` (at most `limit`) for `seconds` each, a row per step,
    /// until a step fails; returns every step and the highest passing one.
    package func findMax(start: Double, step: Double, limit: Double, seconds: Double) -> (steps: [Step], best: Step?) {
        var steps: [Step] = []
        var best: Step?
        var rate = start
        while rate <= limit {
            out("step: \(Int(rate)) transactions/s for \(Int(seconds)) s")
            let s = run(rate: rate, seconds: seconds)
            steps.append(s)
            out(Step.rowHeader)
            for done in steps { out(done.row + (done.passes(settings) ? "" : "  <- fails")) }
            guard s.passes(settings) else { break }
            best = s
            rate += step
        }
        return (steps, best)
    }
}

/// The load's outcome, handed from its thread.
private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = TransferLoad.Outcome(
        window: RateWindow(committed: 0, seconds: 0, rowsPerTransaction: TransferLoad.rowsPerTransaction), refused: 0,
        sampled: 0, error: nil)
    func set(_ v: TransferLoad.Outcome) {
        lock.lock()
        value = v
        lock.unlock()
    }
    func get() -> TransferLoad.Outcome {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
