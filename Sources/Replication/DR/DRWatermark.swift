import Binlog

/// The DR cluster's consistent point: every change of every source transaction up to
/// `checkpoint` is applied to it (docs/dr.md, "The watermark"). `asOfMilliseconds` is the source
/// server time up to which that is all the source had: the DR lag is now minus it.
package struct DRWatermarkPoint: Sendable, Equatable {
    package var checkpoint: SinkCheckpoint
    package var asOfMilliseconds: Int64

    package init(checkpoint: SinkCheckpoint, asOfMilliseconds: Int64) {
        self.checkpoint = checkpoint
        self.asOfMilliseconds = asOfMilliseconds
    }

    /// Stored as `{"file","offset","gtid","mysql_gtid","commit_time","as_of_ms"}`.
    package var json: String {
        let c = checkpoint
        var out = "{\"file\":" + ColumnValue.string(c.position.file).jsonText + ",\"offset\":\(c.position.offset)"
        out += ",\"gtid\":" + ColumnValue.string(c.gtidText).jsonText + ",\"mysql_gtid\":" + ColumnValue.string(c.mysqlGTIDText).jsonText
        out += ",\"commit_time\":\(c.commitTime),\"as_of_ms\":\(asOfMilliseconds)}"
        return out
    }

    package init?(json bytes: [UInt8]) {
        guard let node = try? JSONNode.parse(bytes), case .string(let file)? = node["file"]?.content,
            let offset = node["offset"].flatMap({ UInt64($0.raw) }), case .string(let gtid)? = node["gtid"]?.content,
            case .string(let mysqlGTID)? = node["mysql_gtid"]?.content,
            let commit = node["commit_time"].flatMap({ Int64($0.raw) }),
            let asOf = node["as_of_ms"].flatMap({ Int64($0.raw) }),
            let checkpoint = SinkCheckpoint(
                position: BinlogPosition(file: file, offset: offset), gtidText: gtid, commitTime: commit,
                mysqlGTIDText: mysqlGTID)
        else { return nil }
        self.init(
            checkpoint: checkpoint,
            asOfMilliseconds: asOf)
    }

    /// `file:offset gtid G` as `sluice status` shows it.
    package var positionText: String {
        var text = checkpoint.position.description
        if let gtid = checkpoint.gtid { text += " gtid \(gtid)" }
        if let mysqlGTID = checkpoint.mysqlGTID { text += " gtid \(mysqlGTID)" }
        return text
    }
}

extension DROffsets.Entry {
    /// What passing a watermark marker found.
    package enum MarkerOutcome: Sendable, Equatable {
        /// The partition's newest marker now.
        case passed
        /// A marker of a round already passed (produced again after a failed delivery report).
        case repeated
        /// The marker counts `counted` messages since the session's previous marker and the
        /// partition held `found`: messages are missing (or came from elsewhere).
        case mismatch(counted: Int, found: Int)
    }

    /// A message other than a marker was passed (counted once a marker was: before the first
    /// there is no count to check).
    mutating func passMessage() {
        if mark != nil { since += 1 }
    }

    /// Passes `marker`. The count is checked only against a marker of the same session (a new
    /// session's first marker has none) and not on compacted topics (compaction removes messages).
    /// A mismatch leaves the entry as it was, so that `.halt` stops before the marker; the caller
    /// passes it with `accept` under `.alert`.
    mutating func pass(_ marker: WatermarkMarker, compacted: Bool) -> MarkerOutcome {
        if let last = mark, last.session == marker.session, marker.round <= last.round { return .repeated }
        if let last = mark, last.session == marker.session, let counted = marker.count, !compacted, counted != since {
            return .mismatch(counted: counted, found: since)
        }
        accept(marker)
        return .passed
    }

    mutating func accept(_ marker: WatermarkMarker) {
        mark = marker
        since = 0
    }
}

extension DROffsets {
    /// The consistent point over `partitions`: the oldest of their newest markers (each says its
    /// partition holds every message up to its checkpoint before it), with the oldest `as_of`.
    /// Nil while one of them has passed no marker yet, or `partitions` is empty.
    package func watermark(over partitions: some Collection<Partition>) -> DRWatermarkPoint? {
        guard !partitions.isEmpty else { return nil }
        var oldest: SinkCheckpoint?
        var asOf = Int64.max
        for p in partitions {
            guard let mark = entries[p]?.mark else { return nil }
            if oldest.map({ mark.checkpoint.isBehind($0) }) ?? true { oldest = mark.checkpoint }
            asOf = min(asOf, mark.asOfMilliseconds)
        }
        return oldest.map { DRWatermarkPoint(checkpoint: $0, asOfMilliseconds: asOf) }
    }
}
