import Foundation

/// `[ha]`: active/standby `sluice run` (guarantee 7). Every instance with this section competes
/// for one lease kept in a `[redis.NAME]` cluster; the holder replicates, the others wait as
/// standbys and take over within `ttl_ms` after it dies. Each new holder gets a greater fencing
/// token that the sinks' writes carry, so an old holder paused past its lease writes nothing.
package struct HAConfig: Sendable, Equatable {
    /// The `[redis.NAME]` holding the lease (the fence keys live in every cluster written).
    package var cluster: String
    /// The lease key; its token counter is `<lease_key>:token` in the same slot.
    package var leaseKey: String
    /// How long the lease lives without renewal: the takeover time after a holder dies.
    package var ttlMS: Int
    /// This instance's name, shown by the standby as the active one (unique per host).
    package var instance: String

    init(_ reader: TableReader, clusterNames: [String]) {
        let fallback = clusterNames.contains("primary") ? "primary" : clusterNames.first
        cluster =
            reader.nonEmptyString("cluster", default: fallback, required: fallback == nil) {
                clusterNames.contains($0) ? nil : "no [redis.\($0)]"
            } ?? ""
        leaseKey =
            reader.nonEmptyString("lease_key", default: "sluice:lease") {
                $0.contains("{") || $0.contains("}") ? "must not contain { or } (the hash tag is added)" : nil
            } ?? "sluice:lease"
        ttlMS = reader.integer("ttl_ms", default: 10_000, range: 1_000...600_000) ?? 10_000
        instance =
            reader.nonEmptyString("instance", default: ProcessInfo.processInfo.hostName) {
                $0.contains("|") ? "must not contain |" : nil
            } ?? ""
    }
}
