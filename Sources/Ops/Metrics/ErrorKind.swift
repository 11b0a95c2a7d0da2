extension SluiceMetrics {
    /// The `kind` label of `sluice_errors_total`: every kind any part of sluice counts, and only
    /// those (docs/metrics.md lists exactly these; `MetricsRegistryTests` holds the two in step).
    /// Count an error with one of these cases, never with a string.
    package enum ErrorKind: String, Sendable, Equatable, CaseIterable {
        /// `sluice run`: a lost or refused source connection that the reader retries.
        case sourceConnection = "source_connection"
        /// `sluice run`: a source error retrying cannot fix (undecodable event, purged binlog,
        /// schema mismatch, ...); the daemon halts.
        case source
        /// `sluice run`: the daemon stopped before or while starting (a startup check, a refused resume).
        case startup
        /// A row that cannot be mapped to a Redis write (daemon or DR applier).
        case mapping
        /// A Redis batch that failed; retried (daemon or DR applier).
        case redisApply = "redis_apply"
        /// A Kafka delivery report with an error, or a failed producer; produced again.
        case kafkaDelivery = "kafka_delivery"
        /// A checkpoint (or the DR offsets) that could not be stored; retried.
        case checkpoint
        /// Under `[ha]`: a write refused because another instance holds the lease.
        case fenced
        /// Under `[ha]`: the active instance could not renew its lease and stepped down.
        case leaseLost = "lease_lost"
        /// `sluice dr-apply`: the Kafka consumer failed or the brokers did not answer; held.
        case kafka
        /// `sluice dr-apply`: a message whose key, headers or change-event JSON cannot be read.
        case badMessage = "bad_message"
        /// `sluice dr-apply`: messages missing between consecutive offsets of a partition.
        case drGap = "dr_gap"
    }
}
