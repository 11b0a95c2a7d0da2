/// Every metric sluice exports, in one place. `sluice run` and `sluice dr-apply` register these
/// (and only these) with a `MetricsRegistry`; docs/metrics.md documents each one and the alerting
/// rules in config/sluice-alerts.yml refer to them by name (tests check both stay in step).
///
/// Labels are limited to `MetricLabel` (db, table, kind, sink, cluster, version): never an account, a key
/// or a row.
package enum SluiceMetrics {
    // MARK: Source (binlog reader)

    package static let sourceLagSeconds = GaugeDefinition(
        "sluice_source_lag_seconds",
        "Seconds between now and the source commit time of the last binlog event read (heartbeats keep it current when the source is idle)."
    )
    package static let sourceLagBytes = GaugeDefinition(
        "sluice_source_lag_bytes",
        "Bytes between the last binlog position read and the end of the source's binlog.")
    package static let sourceEvents = CounterDefinition(
        "sluice_source_events_total",
        "Binlog events read from the source, by event kind.", labels: [.kind])
    package static let sourceRows = CounterDefinition(
        "sluice_source_rows_total",
        "Row changes decoded from the source, by table and kind (insert, update, delete).",
        labels: [.db, .table, .kind])
    package static let sourceTransactions = CounterDefinition(
        "sluice_source_transactions_total",
        "Transactions read from the source, by kind (commit, xa_commit, xa_rollback).", labels: [.kind])

    // MARK: Sinks (primary Redis, Kafka, and the DR applier's Redis)

    package static let sinkRowsApplied = CounterDefinition(
        "sluice_sink_rows_applied_total",
        "Row changes a sink wrote (newer version than the one stored), by sink and table.",
        labels: [.sink, .db, .table])
    package static let sinkBatches = CounterDefinition(
        "sluice_sink_batches_total",
        "Batches a sink acknowledged, by sink.", labels: [.sink])
    package static let sinkStaleWrites = CounterDefinition(
        "sluice_sink_stale_writes_total",
        "Row changes a sink refused because the stored version was the same or newer (replays), by sink and table.",
        labels: [.sink, .db, .table])

    package static let rewinds = CounterDefinition(
        "sluice_rewinds_total",
        "Times a sink's Redis cluster failed over (a replica now serves slots as a master) and the daemon replayed from the checkpoint its replicas confirmed, by sink.",
        labels: [.sink])

    package static let sinkLagSeconds = GaugeDefinition(
        "sluice_sink_lag_seconds",
        "Seconds a sink is behind the source: the source lag plus the commit-time span between the newest transaction read and the sink's checkpoint.",
        labels: [.sink])
    package static let sinkLagBytes = GaugeDefinition(
        "sluice_sink_lag_bytes",
        "Bytes of binlog between a sink's checkpoint and the end of the source's binlog.", labels: [.sink])
    package static let redisWaitShortfalls = CounterDefinition(
        "sluice_redis_wait_shortfalls_total",
        "Times a Redis sink's WAIT answered fewer replicas than [redis] wait_replicas within wait_timeout_ms (the batch counts as unconfirmed until the replicas catch up), by sink.",
        labels: [.sink])

    package static let sinkBlockedSeconds = GaugeDefinition(
        "sluice_sink_blocked_seconds",
        "Seconds a sink's current batch has waited for its acknowledgement (delivery reports, Redis replies); 0 while it keeps up.",
        labels: [.sink])

    // MARK: Errors

    package static let errors = CounterDefinition(
        "sluice_errors_total",
        "Errors by kind (source_connection, source, startup, mapping, redis_apply, kafka_delivery, checkpoint, fenced, lease_lost; the DR applier's kafka, bad_message, dr_gap).",
        labels: [.kind])

    // MARK: Checkpoints

    package static let checkpointFileNumber = GaugeDefinition(
        "sluice_checkpoint_file_number",
        "Sequence number of the binlog file of a sink's checkpoint (mysql-bin.000042 is 42).", labels: [.sink])
    package static let checkpointPositionBytes = GaugeDefinition(
        "sluice_checkpoint_position_bytes",
        "Byte position within that binlog file of a sink's checkpoint.", labels: [.sink])
    package static let checkpointAgeSeconds = GaugeDefinition(
        "sluice_checkpoint_age_seconds",
        "Seconds since a sink's checkpoint last advanced.", labels: [.sink])

    // MARK: Kafka producer

    package static let kafkaDeliveryLatencySeconds = HistogramDefinition(
        "sluice_kafka_delivery_latency_seconds",
        "Seconds from producing a row-change message to its delivery report.",
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
    package static let kafkaQueueDepth = GaugeDefinition(
        "sluice_kafka_queue_depth",
        "Messages produced and not yet acknowledged by the brokers.")

    // MARK: DR applier

    package static let drLagSeconds = GaugeDefinition(
        "sluice_dr_lag_seconds",
        "Seconds between now and the source commit time of the last change applied to the DR cluster.",
        labels: [.cluster])
    package static let drMessagesBehind = GaugeDefinition(
        "sluice_dr_messages_behind",
        "Messages between the DR applier's stored offsets and the ends of its topics' partitions.",
        labels: [.cluster])
    package static let drWatermarkMarkers = CounterDefinition(
        "sluice_dr_watermark_markers_total",
        "DR watermark markers the daemon's Kafka sink wrote (one per partition of its topics per round).")
    package static let drWatermarkLagSeconds = GaugeDefinition(
        "sluice_dr_watermark_lag_seconds",
        "Seconds between now and the source time the DR cluster is known complete up to (its watermark's as_of).",
        labels: [.cluster])
    package static let drWatermarkCommitTime = GaugeDefinition(
        "sluice_dr_watermark_commit_time_seconds",
        "Source commit time of the last transaction the DR cluster's watermark covers, in seconds since the epoch.",
        labels: [.cluster])

    // MARK: Ledger (`sluice ledger serve`)

    package static let ledgerTransfers = CounterDefinition(
        "sluice_ledger_transfers_total",
        "Transfer requests by outcome (created, replayed, conflict, refused, unavailable, pending).", labels: [.kind])
    package static let ledgerTransferSeconds = HistogramDefinition(
        "sluice_ledger_transfer_seconds",
        "Seconds from a transfer request to its answer (every outcome).",
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    package static let ledgerXA = CounterDefinition(
        "sluice_ledger_xa_total",
        "XA branches ended, by kind (commit, rollback, resolved_commit, resolved_rollback).", labels: [.kind])
    package static let ledgerJournalFsyncSeconds = HistogramDefinition(
        "sluice_ledger_journal_fsync_seconds",
        "Seconds each journal fsync took.",
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    package static let ledgerJournalRecordsPerFsync = HistogramDefinition(
        "sluice_ledger_journal_records_per_fsync",
        "Journal records made durable by one fsync (group commit).", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
    package static let ledgerInDoubt = GaugeDefinition(
        "sluice_ledger_in_doubt",
        "XA branches the serving ledger left in doubt (a shard lost mid-transfer) and is still resolving.")
    package static let ledgerRiskDecisions = CounterDefinition(
        "sluice_ledger_risk_decisions_total",
        "Risk checks by outcome: accepted, a refusing rule's reason code, or error (rules unreachable).",
        labels: [.kind])
    package static let ledgerRiskSeconds = HistogramDefinition(
        "sluice_ledger_risk_seconds",
        "Seconds each risk check (reserve and payee check, one round trip) took.",
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    package static let ledgerRiskReservations = CounterDefinition(
        "sluice_ledger_risk_reservations_total",
        "Risk reservations settled after their transfer, by kind (confirmed, released, failed).", labels: [.kind])
    package static let ledgerInDoubtOldestSeconds = GaugeDefinition(
        "sluice_ledger_in_doubt_oldest_seconds",
        "Seconds the oldest XA branch still in doubt has waited for the resolver (0 when none).")
    package static let ledgerCacheLookups = CounterDefinition(
        "sluice_ledger_cache_lookups_total",
        "Account reads that asked a cache level, by kind (l1, l2, l3; l3 includes consistent reads).",
        labels: [.kind])
    package static let ledgerCacheHits = CounterDefinition(
        "sluice_ledger_cache_hits_total",
        "Account reads a cache level answered, by kind (l1, l2, l3): hits / lookups is the level's hit rate.",
        labels: [.kind])
    package static let ledgerCacheEntries = GaugeDefinition(
        "sluice_ledger_cache_entries", "Accounts held in the ledger's in-process cache (L1).")
    // MARK: Process

    package static let buildInfo = GaugeDefinition(
        "sluice_build_info", "Always 1; the version label names the running sluice.", labels: [.version])
    package static let processResidentMemoryBytes = GaugeDefinition(
        "sluice_process_resident_memory_bytes", "Resident memory of the process, in bytes.")
    package static let processCPUSeconds = CounterDefinition(
        "sluice_process_cpu_seconds_total", "CPU time the process used, user and system, in seconds.")
    package static let processStartTimeSeconds = GaugeDefinition(
        "sluice_process_start_time_seconds", "When the process started, in seconds since the epoch.")
    package static let processOpenFDs = GaugeDefinition(
        "sluice_process_open_fds", "File descriptors the process has open (sockets included).")

    /// What `sluice run` and `sluice dr-apply` export: every definition above but the ledger's,
    /// in the order docs/metrics.md lists them.
    package static let all: [any MetricDefinition] = [
        sourceLagSeconds, sourceLagBytes, sourceEvents, sourceRows, sourceTransactions,
        sinkRowsApplied, sinkBatches, sinkStaleWrites, rewinds, sinkLagSeconds, sinkLagBytes, redisWaitShortfalls,
        sinkBlockedSeconds,
        errors,
        checkpointFileNumber, checkpointPositionBytes, checkpointAgeSeconds,
        kafkaDeliveryLatencySeconds, kafkaQueueDepth,
        drLagSeconds, drMessagesBehind, drWatermarkMarkers, drWatermarkLagSeconds, drWatermarkCommitTime,
        buildInfo, processResidentMemoryBytes, processCPUSeconds, processStartTimeSeconds, processOpenFDs,
    ]

    /// What `sluice ledger serve` exports.
    package static let ledger: [any MetricDefinition] = [
        ledgerTransfers, ledgerTransferSeconds, ledgerXA, ledgerJournalFsyncSeconds, ledgerJournalRecordsPerFsync,
        ledgerInDoubt, ledgerRiskDecisions, ledgerRiskSeconds, ledgerRiskReservations, ledgerInDoubtOldestSeconds,
        ledgerCacheLookups, ledgerCacheHits, ledgerCacheEntries,
    ]

    /// The whole catalogue (docs/metrics.md documents each one).
    package static var catalogue: [any MetricDefinition] { all + ledger }
}
