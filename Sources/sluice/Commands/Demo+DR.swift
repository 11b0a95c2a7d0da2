import Foundation
import MySQLSource
import Ops
import Replication
import SluiceLab
import Timekeeping

/// The demo's second region: the DR applier (`sluice dr-apply`) on its own thread of this
/// process, reading the demo topic into the DR cluster, with a status line for the demo's
/// per-second output.
final class DemoDRApplier: @unchecked Sendable {
    private let stopFlag = DemoFlag()
    private let statusLine = DemoFlag()
    private let outcome = DemoFlag()
    private let done = DispatchSemaphore(value: 0)

    /// Starts the applier of `config`'s `[dr_apply]`, logging at its `[log] level`.
    init(config: SluiceConfig) {
        Thread.detachNewThread { [stopFlag, statusLine, outcome, done] in
            let logger = Logger.standardError(level: config.log.level, format: config.log.format)
            do {
                let applier = try DRApplier.make(config: config, logger: logger, metrics: nil)
                try applier.run(shouldStop: { stopFlag.get() != nil }) {
                    statusLine.set(Self.line(applier))
                }
                outcome.set("0")
            } catch {
                outcome.set("failed: \(error)")
            }
            done.signal()
        }
    }

    /// `DR: lag < 1 s (12 ms after Kafka), 0 msg behind` (before the first apply: `DR: nothing
    /// applied yet, N msg behind`, not a lag of "?"). The lag is now minus the source commit
    /// time of the last change applied, whose timestamps have whole seconds (as the daemon's lag),
    /// so it is shown in whole seconds; "after Kafka" is now minus the Kafka timestamp
    /// (milliseconds) of the newest message applied, the DR applier's own share of it.
    private static func line(_ applier: DRApplier) -> String {
        guard applier.lastCommitTime > 0 else { return "DR: nothing applied yet, \(applier.messagesBehind) msg behind" }
        let now = Date().timeIntervalSince1970
        var lag = SourceLag.text(seconds: now - Double(applier.lastCommitTime))
        if applier.lastProducedMilliseconds > 0 {
            lag += " (\(max(0, Int((now * 1000).rounded()) - Int(applier.lastProducedMilliseconds))) ms after Kafka)"
        }
        return "DR: lag \(lag), \(applier.messagesBehind) msg behind"
    }

    var status: String { statusLine.get() ?? "DR: starting" }

    /// Nil while it runs, "0" when it stopped on request, else why it failed.
    var result: String? { outcome.get() }

    /// Waits (up to `timeout` s) until `sluice status` shows the stored offsets at the topic's
    /// end, which is all there is once the daemon caught up; returns whether, and a line saying so.
    func waitForCatchUp(config: SluiceConfig, timeout: Double = 60) -> (caughtUp: Bool, line: String) {
        func row() -> LagStatus.Row? {
            LagStatus.gather(config: config).rows.first { $0.name == "dr.\(DemoConfig.drCluster)" }
        }
        let deadline = Deadline(in: timeout)
        var current = row()
        while current?.messages != 0, !deadline.hasPassed, result == nil {
            Thread.sleep(forTimeInterval: 0.2)
            current = row()
        }
        guard let current, current.messages == 0 else {
            let behind = current.map { "\($0.messages.map(String.init) ?? "?") message(s) behind" } ?? "no status"
            return (false, "DR applier did NOT catch up: \(behind)")
        }
        return (true, "DR applier caught up to the topic's end (\(current.position))")
    }

    /// Asks it to stop (it applies the batch in hand first) and waits up to `timeout` s.
    func stop(timeout: Double = 20) {
        stopFlag.set("demo end")
        _ = done.wait(timeout: .now() + timeout)
    }
}
