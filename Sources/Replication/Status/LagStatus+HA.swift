import Ops
import RedisCluster

extension LagStatus {
    /// Under `[ha]`, the `ha` row: which instance holds the lease (`active a (fencing token 7)`);
    /// UNKNOWN when none does (no daemon is writing) or the lease cluster is unreachable.
    static func haRow(config: SluiceConfig) -> Row? {
        guard let ha = config.ha else { return nil }
        var row = Row(name: "ha")
        do {
            guard let c = config.redis(named: ha.cluster) else { throw DaemonError("no [redis.\(ha.cluster)]") }
            let client = try RedisClusterClient(topology: RedisTopology(config: c), options: RedisOptions(config: c))
            if let holder = try LeaderLease.holder(client: client, leaseKey: ha.leaseKey) {
                row.position = "active \(holder.instance) (fencing token \(holder.token))"
            } else {
                row.state = .unknown("no instance holds the lease: no daemon is replicating")
            }
        } catch {
            row.state = .unknown("lease unreadable: \(error)")
        }
        return row
    }
}
