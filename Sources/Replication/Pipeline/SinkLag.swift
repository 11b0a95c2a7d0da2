import Binlog

/// How far each sink is behind the source (`sluice_sink_lag_seconds`, `sluice_sink_lag_bytes`),
/// from three things the daemon knows: the newest transaction it read (`observeRead`), the
/// checkpoint a sink acknowledged, and the source's own lag (`SourceLag`: now minus the last event
/// read, bytes from the read position to the end of the binlog). Rules:
///
/// - seconds = source lag seconds + (commit time of the newest transaction read - commit time of
///   the sink's checkpoint), never below 0: a caught-up sink lags exactly as much as the reader,
///   and heartbeats keep both honest while the source is idle;
/// - bytes = source lag bytes + binlog from the sink's checkpoint to the read position; across a
///   rotation a file counts up to the highest offset read in it (its size once the reader has
///   passed it), so no server call is needed per sink.
///
/// A pure value: the caller passes every input, nothing is measured here.
package struct SinkLag: Sendable, Equatable {
    /// The end of the newest transaction read from the source.
    package private(set) var read: SinkCheckpoint?
    /// The highest offset read in each binlog file.
    package private(set) var fileEnds: [String: UInt64] = [:]

    package init() {}

    /// A transaction read from the source ends at `checkpoint`.
    package mutating func observeRead(_ checkpoint: SinkCheckpoint) {
        let position = checkpoint.position
        fileEnds[position.file] = max(fileEnds[position.file] ?? 0, position.offset)
        if read.map({ $0.position < position }) ?? true { read = checkpoint }
        // Files far behind every plausible checkpoint need no size: keep the map small.
        if fileEnds.count > 64, let oldest = fileEnds.keys.min(by: { Self.start($0) < Self.start($1) }) {
            fileEnds[oldest] = nil
        }
    }

    package func seconds(acknowledged: SinkCheckpoint, sourceLagSeconds: Double) -> Double {
        let behind = read.map { Double($0.commitTime - acknowledged.commitTime) } ?? 0
        return max(0, sourceLagSeconds + max(0, behind))
    }

    package func bytes(acknowledged: SinkCheckpoint, sourceLagBytes: UInt64) -> UInt64 {
        sourceLagBytes + bytesRead(after: acknowledged.position)
    }

    /// Binlog read past `position` (0 when the reader is not past it).
    package func bytesRead(after position: BinlogPosition) -> UInt64 {
        guard let end = read?.position, position < end else { return 0 }
        if position.file == end.file { return end.offset - position.offset }
        let firstEnd = fileEnds[position.file] ?? position.offset
        var total = firstEnd - min(position.offset, firstEnd)
        for (file, size) in fileEnds where Self.start(position.file) < Self.start(file) && Self.start(file) < Self.start(end.file) {
            total += size
        }
        return total + end.offset
    }

    /// Orders file names as positions do (`mysql-bin.000010` after `mysql-bin.000009`).
    private static func start(_ file: String) -> BinlogPosition { BinlogPosition(file: file, offset: 0) }
}
