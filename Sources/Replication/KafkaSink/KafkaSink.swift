import Binlog
import Foundation
import Kafka
import Ops
import Timekeeping

/// The Kafka sink: one message per row change (`KafkaChangeMessage`), produced by an idempotent
/// producer with `acks=all` and no delivery timeout, and acknowledged only when every message of
/// the batch has its delivery report.
///
/// Nothing is skipped: a failed delivery is produced again, together with every later message of
/// the batch (so per-key order holds; the repeats are harmless under versions), after a pause; a
/// fatal producer error (the idempotent producer's sequence is broken) destroys the producer,
/// makes a new one and sends the whole batch again, i.e. everything after the checkpoint; so does
/// a producer that gets no delivery report for `stallSeconds` while the brokers answer. While
/// the brokers are down `deliver` keeps waiting (librdkafka keeps the messages), says why in the
/// log once after `holdLogSeconds` (again only every `holdRepeatSeconds`), says so when the
/// messages go through again, and returns by itself once the brokers are back. Not thread-safe:
/// one sink worker thread owns it; its `Observer` may hand figures to other threads.
package final class KafkaSink {
    package struct Settings: Sendable, Equatable {
        /// librdkafka properties (bootstrap.servers, client.id, TLS/SASL ...); the sink adds its own.
        package var properties: [String: String]
        /// Topic of a table's changes: `topicPrefix` + `topicTemplate` (`{db}`, `{table}`
        /// replaced), or `singleTopic` for all.
        package var topicPrefix: String
        package var topicTemplate = "{db}.{table}"
        package var singleTopic: String?
        /// Pause before producing again after a failed delivery or a lost producer.
        package var retryPauseSeconds: Double
        /// How long a delivery waits before the log says it is held, and how long before it says
        /// so again while the hold lasts.
        package var holdLogSeconds: Double
        package var holdRepeatSeconds: Double
        /// A batch without any delivery report for this long while the brokers answer a metadata
        /// request means the producer is stuck rather than the brokers down: e.g. a broker that
        /// lost its idempotent-producer state answers every produce with UNKNOWN_PRODUCER_ID,
        /// which librdkafka retries forever with a locally bumped epoch and never reports. The
        /// producer is then made anew and the batch sent again.
        package var stallSeconds: Double
        /// The messages' encoding (docs/change-events.md).
        package var format: KafkaConfig.MessageFormat
        /// A tombstone (same key, no value) after every delete, for compacted topics.
        package var tombstones: Bool
        /// The transaction id and order in every event (Debezium's `transaction` block).
        package var transactionMetadata: Bool
        /// Debezium `source.name`.
        package var serverName: String
        /// Where statement events (DDL) go; nil: not produced.
        package var ddlTopic: String?
        /// Where the BEGIN/END records of each transaction go; nil: not produced.
        package var transactionTopic: String?
        /// Column exclusion, masking and key columns per `db.table`.
        package var tables: [String: KafkaColumnRules] = [:]

        package init(
            properties: [String: String], topicPrefix: String = "sluice.", singleTopic: String? = nil,
            retryPauseSeconds: Double = 0.5, holdLogSeconds: Double = 5, holdRepeatSeconds: Double = 60,
            stallSeconds: Double = 60, format: KafkaConfig.MessageFormat = .sluice, tombstones: Bool = false,
            transactionMetadata: Bool = false, serverName: String = "sluice"
        ) {
            self.format = format
            self.tombstones = tombstones
            self.transactionMetadata = transactionMetadata
            self.serverName = serverName
            self.properties = properties
            self.topicPrefix = topicPrefix
            self.singleTopic = singleTopic
            self.retryPauseSeconds = retryPauseSeconds
            self.holdLogSeconds = holdLogSeconds
            self.holdRepeatSeconds = holdRepeatSeconds
            self.stallSeconds = stallSeconds
        }

        /// What the producer runs with: the given properties, then the sink's guarantees on top.
        var producerProperties: [String: String] {
            var p = properties
            p["acks"] = "all"
            p["message.timeout.ms"] = p["message.timeout.ms"] ?? "0"
            p["max.in.flight.requests.per.connection"] = "5"
            p["linger.ms"] = p["linger.ms"] ?? "2"
            return p
        }
    }

    package struct Counters: Sendable, Equatable {
        package var delivered = 0
        /// Messages produced again after a failed delivery report.
        package var redelivered = 0
        /// Producers made anew after a fatal error.
        package var producersRecreated = 0
        /// Row changes whose version could not be computed under a mapping with `on_error = "skip"`
        /// (sent with a null version).
        package var versionlessRows = 0
        package init() {}
    }

    /// Figures for metrics, called on the sink's thread: `undelivered` with the messages of the
    /// current batch still waiting for their delivery report (about every 100 ms while waiting,
    /// 0 when the batch is through), `failed` once per failed delivery report or producer error,
    /// `delivered` with the seconds from producing a message to its successful delivery report.
    package struct Observer: Sendable {
        package var undelivered: @Sendable (Int) -> Void
        package var failed: @Sendable (KafkaError) -> Void
        package var delivered: (@Sendable (Double) -> Void)?

        package init(
            undelivered: @escaping @Sendable (Int) -> Void = { _ in },
            failed: @escaping @Sendable (KafkaError) -> Void = { _ in },
            delivered: (@Sendable (Double) -> Void)? = nil
        ) {
            self.undelivered = undelivered
            self.failed = failed
            self.delivered = delivered
        }
    }

    /// Why `deliver` gave up: the caller asked it to stop while messages were undelivered.
    package struct Aborted: Error, Sendable, Equatable, CustomStringConvertible {
        package let undelivered: Int
        package var description: String { "Kafka delivery abandoned with \(undelivered) message(s) undelivered" }
    }

    package let name: String
    package let settings: Settings
    let mappings: [String: TableMapping]
    /// Warnings while delivery is held or retried, a notice when it recovers; `sink` metadata.
    private let logger: Logger
    private let sleep: (Double) -> Void
    private let observer: Observer
    private let makeProducer: ([String: String]) throws(KafkaError) -> KafkaProducer
    /// Wall time for `processed_ms`; monotonic time for the hold, stall and latency timers.
    private let clock: any ServiceClock
    private var producer: KafkaProducer?
    /// The transaction whose events `messages` numbers, and its events so far per table (a big
    /// transaction comes in chunks).
    private var transactionID = ""
    private var tableOrder: [String: Int] = [:]
    /// The transaction whose BEGIN record went out and END did not yet, with its events per table.
    var openTransaction: (id: String, counts: [String: Int])?
    package private(set) var counters = Counters()
    /// Deliveries per partition since the last DR watermark round (KafkaSink+Watermark.swift).
    var watermark = WatermarkRounds()
    /// The last delivery or producer problem, for status output (nil once a batch went through).
    package private(set) var problem: String?

    package init(
        name: String = "kafka", settings: Settings, mappings: [TableMapping],
        logger: Logger, observer: Observer = Observer(),
        sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
        clock: any ServiceClock = SystemClock(),
        makeProducer: @escaping ([String: String]) throws(KafkaError) -> KafkaProducer = {
            (properties: [String: String]) throws(KafkaError) -> KafkaProducer in
            try KafkaProducer(settings: properties, idempotent: true)
        }
    ) {
        self.name = name
        self.settings = settings
        var byTable: [String: TableMapping] = [:]
        for m in mappings where byTable[m.qualifiedTable] == nil { byTable[m.qualifiedTable] = m }
        self.mappings = byTable
        self.logger = logger.with(["sink": .string(name)])
        self.observer = observer
        self.sleep = sleep
        self.makeProducer = makeProducer
        self.clock = clock
    }

    package func topic(for change: RowChange) -> String {
        settings.singleTopic
            ?? settings.topicPrefix
            + KafkaConfig.render(settings.topicTemplate, database: change.database, table: change.table)
    }

    /// The messages of one transaction's changes. The version is the table's mapping's (any
    /// cluster), else the GTID-derived one, else none. Throws a mapping's error unless it skips.
    package func messages(for changes: [RowChange], origin: KafkaChangeMessage.Origin) throws(MappingError)
        -> [KafkaChangeMessage]
    {
        var out: [KafkaChangeMessage] = []
        out.reserveCapacity(changes.count)
        let processed = Int64((clock.wallNow().timeIntervalSince1970 * 1000).rounded(.down))
        // What depends only on the table, looked up once per run of changes of one table.
        var table: TableFacts?
        for change in changes {
            let facts: TableFacts
            if let known = table, known.database == change.database, known.table == change.table,
                known.columns == change.columns
            {
                facts = known
            } else {
                facts = tableFacts(change)
                table = facts
            }
            var version: String?
            if let m = facts.mapping {
                do {
                    version = try m.version.version(of: change, columnIndex: facts.versionIndex)
                } catch {
                    guard m.skipOnError else { throw error }
                    counters.versionlessRows += 1
                }
            } else if let gtid = change.gtid {
                version = try? VersionSource.binlog(domain: gtid.domain).version(of: change, columnIndex: nil)
            }
            var context = context(for: change, origin: origin, processedMS: processed)
            let message: KafkaChangeMessage
            if let rules = facts.rules {
                let shown: RowChange
                (shown, context.keyColumns) = rules.apply(to: change)
                message = KafkaChangeMessage(
                    change: shown, origin: origin, version: version, topic: facts.topic, context: context)
            } else {
                message = KafkaChangeMessage(
                    change: change, origin: origin, version: version, topic: facts.topic, context: context)
            }
            out.append(message)
            if settings.tombstones, change.kind == .delete { out.append(KafkaChangeMessage(tombstoneAfter: message)) }
        }
        return out
    }

    /// A table's mapping, the index of its version column, its column rules and its topic.
    private struct TableFacts {
        var database: String
        var table: String
        var columns: [String]
        var mapping: TableMapping?
        var versionIndex: Int?
        var rules: KafkaColumnRules?
        var topic: String
    }

    private func tableFacts(_ change: RowChange) -> TableFacts {
        let qualified = change.qualifiedTable
        let mapping = mappings[qualified]
        var index: Int?
        if case .column(let column) = mapping?.version { index = change.columns.firstIndex(of: column) }
        return TableFacts(
            database: change.database, table: change.table, columns: change.columns, mapping: mapping,
            versionIndex: index, rules: settings.tables[qualified], topic: topic(for: change))
    }

    /// The message of a statement event (DDL) for `Settings.ddlTopic`; none when that is unset.
    package func messages(for statement: KafkaSchemaChange) -> [KafkaChangeMessage] {
        guard let topic = settings.ddlTopic else { return [] }
        let processed = Int64((clock.wallNow().timeIntervalSince1970 * 1000).rounded(.down))
        let context = KafkaChangeMessage.Context(
            format: settings.format, serverName: settings.serverName, processedMS: processed)
        return [statement.message(topic: topic, context: context)]
    }

    private func context(for change: RowChange, origin: KafkaChangeMessage.Origin, processedMS: Int64)
        -> KafkaChangeMessage.Context
    {
        var context = KafkaChangeMessage.Context(
            format: settings.format, serverName: settings.serverName, processedMS: processedMS)
        if settings.transactionMetadata {
            let id = Self.transactionID(change, origin)
            if id != transactionID || change.ordinal == 0 {
                transactionID = id
                tableOrder = [:]
            }
            tableOrder[change.qualifiedTable, default: 0] += 1
            context.transaction = .init(
                id: id, totalOrder: change.ordinal + 1, tableOrder: tableOrder[change.qualifiedTable] ?? 1)
        }
        return context
    }

    /// Produces `messages` in order and returns once every one has a successful delivery report.
    /// `shouldAbort` is asked while waiting; when it answers true, throws `Aborted`.
    package func deliver(_ messages: [KafkaChangeMessage], shouldAbort: () -> Bool = { false }) throws(Aborted) {
        var from = 0
        var loop = Retrying(pauseSeconds: settings.retryPauseSeconds, sleep: sleep, clock: clock)
        let outcome = loop.run(
            until: { from < messages.count && shouldAbort() },
            { try deliverRest(messages, from: &from, shouldAbort: shouldAbort) },
            onFailure: { error in
                // A failed report is noted before the stop check; a producer error after it.
                if !(error is Redelivery), shouldAbort() { return .end }
                noteFailure(error, of: messages, from: &from)
                return .retry
            })
        guard case .done = outcome else { throw Aborted(undelivered: messages.count - from) }
        problem = nil
        observer.undelivered(0)
    }

    /// A message of the batch got a failed delivery report: it and every later one go again.
    private struct Redelivery: Error {
        let index: Int
        let error: KafkaError
    }

    /// One attempt: produces `messages[from...]` and waits for every report. A failed report
    /// moves `from` to the first failed message and throws `Redelivery`.
    private func deliverRest(_ messages: [KafkaChangeMessage], from: inout Int, shouldAbort: () -> Bool) throws {
        guard from < messages.count else { return }
        let producer = try currentProducer()
        if let failed = try send(messages[from...], with: producer, shouldAbort: shouldAbort) {
            from = failed.index
            throw Redelivery(index: failed.index, error: failed.error)
        }
        counters.delivered += messages.count - from
        from = messages.count
    }

    /// Counts and logs a failed attempt; a fatal or stuck producer is dropped (a new one sends the
    /// whole batch again, `from` back to 0).
    private func noteFailure(_ error: Error, of messages: [KafkaChangeMessage], from: inout Int) {
        switch error {
        case let failed as Redelivery:
            observer.failed(failed.error)
            counters.redelivered += messages.count - failed.index
            let m = messages[failed.index]
            note(
                "Kafka delivery of \(m.topic) key \(String(decoding: m.key, as: UTF8.self)) failed: \(failed.error); producing it and the \(messages.count - failed.index - 1) message(s) after it again"
            )
        case let error as KafkaError where error.failure == .fatal || error.failure == .stalled:
            observer.failed(error)
            let what = error.failure == .stalled ? "is stuck" : "failed for good"
            note(
                "Kafka producer \(what) (\(error)); making a new producer and sending the batch again from the checkpoint"
            )
            self.producer = nil
            watermark.lostTrack()
            counters.producersRecreated += 1
            from = 0
        default:
            if let error = error as? KafkaError { observer.failed(error) }
            note("Kafka producer: \(error); retrying")
        }
    }

    /// Destroys the producer (its connections and threads end now, not when the sink is freed);
    /// a later `deliver` makes a new one.
    package func close() {
        producer = nil
    }

    func currentProducer() throws(KafkaError) -> KafkaProducer {
        if let producer { return producer }
        let made = try makeProducer(settings.producerProperties)
        producer = made
        return made
    }

    /// Produces the slice and waits for its reports; the first failed message (by batch index), if any.
    private func send(_ batch: ArraySlice<KafkaChangeMessage>, with producer: KafkaProducer, shouldAbort: () -> Bool)
        throws(KafkaError) -> (index: Int, error: KafkaError)?
    {
        var batchState = Outstanding(lastReport: clock.monotonicNow())
        try produce(batch, with: producer, into: &batchState)
        try awaitReports(&batchState, from: producer, shouldAbort: shouldAbort)
        return batchState.failed
    }

    /// The messages of one batch still without a delivery report, and the first that failed.
    private struct Outstanding {
        var indexOf: [UInt64: Int] = [:]
        /// Produce times, kept only when latency is observed.
        var producedAt: [UInt64: MonotonicInstant] = [:]
        var failed: (index: Int, error: KafkaError)?
        var lastReport: MonotonicInstant
    }

    /// Records delivery reports: the watermark, the latency, and the first failed message.
    private func absorb(_ reports: [KafkaDeliveryReport], into o: inout Outstanding) {
        let now = clock.monotonicNow()
        if !reports.isEmpty { o.lastReport = now }
        for r in reports {
            watermark.record(r)
            if let delivered = observer.delivered, let at = o.producedAt.removeValue(forKey: r.id), r.error == nil {
                delivered(now.seconds(since: at))
            }
            guard let i = o.indexOf.removeValue(forKey: r.id), let e = r.error else { continue }
            if o.failed.map({ i < $0.index }) ?? true { o.failed = (i, e) }
        }
    }

    /// Produces every message of the batch in order, polling while the producer's queue is full.
    private func produce(
        _ batch: ArraySlice<KafkaChangeMessage>, with producer: KafkaProducer, into o: inout Outstanding
    ) throws(KafkaError) {
        for i in batch.indices {
            let m = batch[i]
            while true {
                do throws(KafkaError) {
                    let id = try producer.produce(
                        topic: m.topic, key: m.key, value: m.value,
                        headers: m.headers.map { KafkaHeader($0.name, Array($0.value.utf8)) }, partition: m.partition)
                    o.indexOf[id] = i
                    if observer.delivered != nil { o.producedAt[id] = clock.monotonicNow() }
                    break
                } catch  where error.failure == .queueFull {
                    absorb(try producer.poll(timeoutMilliseconds: 100), into: &o)
                }
            }
        }
    }

    /// Polls until every produced message has a report; notes a hold, throws on a stall or abort.
    private func awaitReports(_ o: inout Outstanding, from producer: KafkaProducer, shouldAbort: () -> Bool)
        throws(KafkaError)
    {
        let started = clock.monotonicNow()
        var hold = RetryReport(
            "Kafka: holding", repeatSeconds: settings.holdRepeatSeconds, firstAfterSeconds: settings.holdLogSeconds,
            repeatOnChange: false, failingSince: started)
        o.lastReport = started
        // Since when the brokers have answered metadata without a break: a stall counts only
        // while they answer (a frozen or unreachable broker is a hold, not a stuck producer).
        var answeringSince: MonotonicInstant? = started
        while !o.indexOf.isEmpty {
            if shouldAbort() {
                throw KafkaError(.aborted, message: "stop requested", context: "deliver")
            }
            absorb(try producer.poll(timeoutMilliseconds: 100), into: &o)
            observer.undelivered(o.indexOf.count)
            let now = clock.monotonicNow()
            let silent = now.seconds(since: o.lastReport)
            if silent >= settings.stallSeconds, !o.indexOf.isEmpty {
                o.lastReport = now
                try checkStall(undelivered: o.indexOf.count, silent: silent, since: &answeringSince, producer: producer)
            }
            if !o.indexOf.isEmpty, hold.due("", now: now) {
                let why = producer.lastClientError.map { "last broker error: \($0)" } ?? "no broker error reported"
                note(
                    "Kafka: holding: \(o.indexOf.count) message(s) undelivered after \(Int(now.seconds(since: started))) s (\(why)); the checkpoint waits"
                )
            }
        }
        if let held = hold.ended(now: clock.monotonicNow()), held.reported {
            logger.notice("Kafka: delivering again: the held batch went through after \(Int(held.seconds)) s")
        }
    }

    /// After `silent` seconds without a report: asks the brokers for metadata and throws `stalled`
    /// once they have answered for the stall time while reports stay away.
    private func checkStall(
        undelivered: Int, silent: Double, since answeringSince: inout MonotonicInstant?, producer: KafkaProducer
    )
        throws(KafkaError)
    {
        guard (try? producer.metadata(timeoutMilliseconds: 2_000)) != nil else {
            answeringSince = nil
            return
        }
        let now = clock.monotonicNow()
        let since = answeringSince ?? now
        answeringSince = since
        let answered = now.seconds(since: since)
        if answered >= settings.stallSeconds {
            let what = "\(undelivered) message(s) without a delivery report for \(Int(silent)) s"
            throw KafkaError(
                .stalled, message: what + " while the brokers answered for \(Int(answered)) s", context: "deliver")
        }
    }

    private func note(_ text: String) {
        problem = text
        logger.warning(text)
    }
}
