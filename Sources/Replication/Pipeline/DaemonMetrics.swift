import Binlog
import MySQLSource
import Ops

/// The source and checkpoint metrics `sluice run` keeps (SluiceMetrics names). Metric failures
/// are ignored: a daemon must not stop replicating because a sample could not be made.
final class DaemonMetrics {
    private let registry: MetricsRegistry
    private var rows: [LabelValues: Counter] = [:]
    private var events: [UInt8: (counter: Counter, seen: Int)] = [:]

    init(registry: MetricsRegistry) { self.registry = registry }

    func count(_ t: SourceTransaction) {
        // One look-up per run of changes of one table and kind (a rows event's rows come together).
        let changes = t.changes
        var i = 0
        while i < changes.count {
            let kindOfRun = changes[i].kind
            let database = changes[i].database
            let table = changes[i].table
            var end = i + 1
            while end < changes.count, changes[end].kind == kindOfRun, changes[end].table == table,
                changes[end].database == database
            {
                end += 1
            }
            let labels: LabelValues = [.db: database, .table: table, .kind: kindOfRun.rawValue]
            if rows[labels] == nil { rows[labels] = try? registry.counter(SluiceMetrics.sourceRows, labels) }
            rows[labels]?.increment(by: UInt64(end - i))
            i = end
        }
        if t.isLast {
            let kind = t.xid == nil ? "commit" : t.rolledBack ? "xa_rollback" : "xa_commit"
            (try? registry.counter(SluiceMetrics.sourceTransactions, [.kind: kind]))?.increment()
        }
    }

    /// Brings `sluice_source_events_total` up to the source's running counts by type code.
    func observe(events counts: [UInt8: Int]) {
        for (code, total) in counts {
            if events[code] == nil,
                let c = try? registry.counter(SluiceMetrics.sourceEvents, [.kind: Self.eventKind(code)])
            {
                events[code] = (c, 0)
            }
            guard let cell = events[code], total > cell.seen else { continue }
            cell.counter.increment(by: UInt64(total - cell.seen))
            events[code]?.seen = total
        }
    }

    func error(_ kind: SluiceMetrics.ErrorKind) {
        (try? registry.counter(SluiceMetrics.errors, [.kind: kind.rawValue]))?.increment()
    }

    func observe(lag: SourceLag, committed: SinkCheckpoint?) {
        if let s = lag.secondsBehind { (try? registry.gauge(SluiceMetrics.sourceLagSeconds))?.set(s) }
        if let b = lag.bytesBehind { (try? registry.gauge(SluiceMetrics.sourceLagBytes))?.set(b) }
        if let c = committed {
            let number = c.position.file.split(separator: ".").last.flatMap { Int($0) } ?? 0
            (try? registry.gauge(SluiceMetrics.checkpointFileNumber, [.sink: "all"]))?.set(number)
            (try? registry.gauge(SluiceMetrics.checkpointPositionBytes, [.sink: "all"]))?.set(c.position.offset)
        }
    }
}
