import Binlog

/// The changes in the DR topics whose transactions the promoted server does not have: the old
/// primary wrote them to its binlog and the daemon shipped them before the (semi-synchronous)
/// replica received them, so no client was told they committed (docs/failover.md, "Rows ahead").
/// The DR applier applied them; the promoted server will give the next change of such a row the
/// same version, which the version check would refuse. `sluice failover` finds them here and
/// rewrites their keys from the promoted server.
///
/// The replica received a prefix of the old primary's binlog, and a partition holds its changes in
/// binlog order, so in each partition the changes ahead are a suffix: the scan reads every
/// partition backwards, window by window from its end, until a change the promoted server has
/// (or one without a GTID, which can't be judged) or the partition's start.
package struct AheadChanges: Sendable {
    /// The promoted server's `gtid_binlog_pos` when the failover started.
    package let promoted: MariaDBGTIDPosition

    package init(promoted: MariaDBGTIDPosition) { self.promoted = promoted }

    /// Whether the transaction `gtid` is past the promoted server's position (its domain's
    /// sequence greater, or its domain unknown there); nil when there is no GTID to judge.
    package func isAhead(_ gtid: String?) -> Bool? {
        guard let gtid, let g = MariaDBGTID(parsing: Substring(gtid)) else { return nil }
        guard let have = promoted.gtid(domain: g.domain) else { return true }
        return g.sequence > have.sequence
    }

    /// One partition's tail, read backwards: `[start, end)` is the window to read next.
    package struct Tail: Sendable, Equatable {
        package let partition: DROffsets.Partition
        package private(set) var start: Int64
        package private(set) var end: Int64
        /// The changes ahead found so far, in offset order.
        package private(set) var ahead: [DRChange] = []
        package private(set) var finished: Bool
        package private(set) var messagesRead = 0

        /// The tail of a partition that ends before `end` (its next offset), first window `window`.
        package init(partition: DROffsets.Partition, end: Int64, window: Int64) {
            self.partition = partition
            self.end = end
            self.start = max(0, end - max(1, window))
            self.finished = end <= 0
        }

        /// Takes the window `[start, end)`'s changes (in offset order; markers, tombstones and
        /// statement records left out) and `read`, how many messages of any kind it held. Finished
        /// when a change in it is not ahead (or can't be judged), or the window reached offset 0 or
        /// held nothing (the partition's start was deleted); otherwise the next window, twice as
        /// long, ends where this one started.
        package mutating func take(_ changes: [DRChange], read: Int, judge: AheadChanges) {
            messagesRead += read
            var suffix: [DRChange] = []
            var boundary = false
            for c in changes.reversed() {
                guard judge.isAhead(c.gtid) == true else {
                    boundary = true
                    break
                }
                suffix.append(c)
            }
            ahead.insert(contentsOf: suffix.reversed(), at: 0)
            if boundary || start == 0 || read == 0 {
                finished = true
                return
            }
            let length = end - start
            end = start
            start = max(0, start - 2 * length)
        }
    }
}

extension MariaDBGTIDPosition {
    /// This position limited to `limit`: per domain both have, this position's GTID when it is
    /// before the limit's, else the limit's; other domains are left out. Where a DR cluster that
    /// may hold changes ahead of the promoted server stands on that server's binlog.
    package func clamped(to limit: MariaDBGTIDPosition) -> MariaDBGTIDPosition {
        MariaDBGTIDPosition(
            limit.gtids.compactMap { l in
                guard let mine = gtid(domain: l.domain) else { return nil }
                return mine.sequence < l.sequence ? mine : l
            })
    }
}
