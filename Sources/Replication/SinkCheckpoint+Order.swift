import Binlog

extension SinkCheckpoint {
    /// Whether `self` is strictly behind `other`. With MariaDB GTID positions on both sides
    /// (which stay meaningful across a source failover, unlike file offsets) a checkpoint is
    /// behind when some domain's sequence is lower; otherwise binlog positions are compared.
    package func isBehind(_ other: SinkCheckpoint) -> Bool {
        if let mine = gtid, let theirs = other.gtid, !mine.gtids.isEmpty, !theirs.gtids.isEmpty {
            for g in theirs.gtids {
                guard let m = mine.gtid(domain: g.domain) else { return true }
                if m.sequence < g.sequence { return true }
            }
            return false
        }
        return position < other.position
    }

    /// Where to resume when each sink has its own checkpoint: the oldest, so that no sink misses a
    /// transaction (the others get a replay, which versions make harmless). Sinks without a
    /// checkpoint yet (nil) start where the others are; nil only when no sink has one.
    package static func resumePoint(_ checkpoints: [SinkCheckpoint?]) -> SinkCheckpoint? {
        var oldest: SinkCheckpoint?
        for case let c? in checkpoints {
            if let o = oldest, !c.isBehind(o) { continue }
            oldest = c
        }
        return oldest
    }
}
