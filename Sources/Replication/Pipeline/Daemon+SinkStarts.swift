import Binlog
import MySQLSource
import Ops

extension Daemon {
    /// Every sink's start, stored before anything is applied. A sink without a checkpoint (the
    /// first start of a deployment, a newly enabled sink) would otherwise, after a crash before
    /// its own first checkpoint, resume where the other sinks had got to and never see what lies
    /// between: a first `sluice run` killed after the Redis sink's first checkpoint and before the
    /// Kafka sink's first delivery lost the beginning of the stream for Kafka. So, under a
    /// `[source] start` that follows the checkpoints:
    /// - some sink has a checkpoint: each sink without one gets the resume point (the oldest);
    /// - none has (first start): the configured start made a position on this server (the first
    ///   binlog's start, or the end of the binlog now) is stored for every sink, and reading
    ///   begins exactly there.
    /// A start that ignores checkpoints (`earliest`, `end`, a position or GTID) begins there on
    /// every restart anyway: nothing is stored for it.
    /// Returns where reading begins (on a first start, the stored position).
    func storeSinkStarts(
        _ sinks: [any Sink], stored: [SinkCheckpoint?], resume: SinkCheckpoint?, plan: ResumePlan,
        source: SourceConfig, endpoint: MySQLEndpoint, server: SourceIdentity
    ) throws -> ResumePlan {
        guard source.start == .checkpointOrEarliest || source.start == .checkpointOrEnd,
            stored.contains(where: { $0 == nil })
        else { return plan }
        var begins = plan
        let start: SinkCheckpoint
        if let resume {
            start = resume
        } else {
            guard let first = try firstStart(plan.start, endpoint: endpoint, server: server) else { return plan }
            start = first
            begins = ResumePlan(start: .position(first.position), basis: .configured)
        }
        for (sink, checkpoint) in zip(sinks, stored) where checkpoint == nil {
            try sink.storeCheckpoint(start)
            logger.info("sink start stored", ["sink": .string(sink.label), "binlog.pos": "\(start.position)"])
        }
        return begins
    }

    /// The configured start as a checkpoint on this server: the position (`earliest` and
    /// `current` resolved as the source would) with the MariaDB GTID state there (nil if the start
    /// is not a position). Its commit time is 0: no transaction was committed there, so neither a lag nor a DR
    /// watermark's `as_of` may be measured from it.
    private func firstStart(_ start: SourceStart, endpoint: MySQLEndpoint, server: SourceIdentity) throws
        -> SinkCheckpoint?
    {
        let connection = try MySQLConnection(endpoint)
        guard case .position(let position) = try ReplicationSession.resolve(start, on: connection) else { return nil }
        var gtid: MariaDBGTIDPosition?
        if server.flavor == "mariadb" {
            let text = try connection.query(
                "SELECT BINLOG_GTID_POS('\(sqlString(position.file))', \(position.offset)) AS g"
            ).value("g")
            gtid = text.flatMap { MariaDBGTIDPosition(parsing: $0) }
        }
        return SinkCheckpoint(position: position, gtid: gtid, commitTime: 0, source: server)
    }
}
