import Foundation
import Ops
import RedisCluster

/// How `sluice snapshot` of the DR cluster seeds the DR applier's Kafka offsets: each partition's
/// end (high watermark) is read before the snapshot opens; afterwards every partition without a
/// stored offset gets that end. No change after the snapshot's position is skipped: such a
/// change commits after the snapshot opened, so its message is produced after the ends were
/// read, at an offset at or past them. Messages from the ends on that belong to changes before
/// the snapshot are applied again and refused by version. Stored offsets are left alone (the
/// applier continues from them; what it replays is refused by version too).
package struct DROffsetSeed {
    package let ends: [DROffsets.Partition: Int64]
    let key: String

    /// Reads the ends of the `[dr_apply]` topics' partitions.
    package static func before(config: SluiceConfig, dr: DRApplyConfig, client: RedisClusterClient) throws
        -> DROffsetSeed
    {
        let key = DROffsets.key(prefix: "sluice:dr:offsets:", cluster: dr.redisCluster)
        let stored = try DROffsets.load(from: client, key: key)
        let ends = try LagStatus.topicEnds(config: config, dr: dr, offsets: stored, waitSeconds: 15)
        return DROffsetSeed(ends: ends, key: key)
    }

    /// Stores the ends of the partitions that have no offset yet; returns those seeded.
    @discardableResult
    package func seed(_ client: RedisClusterClient, commitTime: Int64) throws -> [DROffsets.Partition: Int64] {
        let stored = try DROffsets.load(from: client, key: key)
        var changed: [DROffsets.Partition: DROffsets.Entry] = [:]
        for (p, end) in ends where stored.entries[p] == nil {
            changed[p] = DROffsets.Entry(next: end, commitTime: commitTime)
        }
        try DROffsets.store(changed, in: client, key: key)
        return changed.mapValues(\.next)
    }
}
