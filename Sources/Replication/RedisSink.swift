import Binlog
import RedisCluster

/// The sink for one named Redis cluster (`primary`, `dr`): maps row changes to versioned writes,
/// applies them, optionally waits for replicas, then advances its checkpoint in the same cluster.
/// Each named cluster has its own sink, client and checkpoint; they share nothing.
package final class RedisSink {
    package struct Settings: Sendable, Equatable {
        /// Replicas each written master must acknowledge (`WAIT`) before the checkpoint moves; 0 = no WAIT.
        package var waitReplicas: Int
        package var waitTimeoutMilliseconds: Int
        package var tombstoneTTLSeconds: Int64
        package var checkpointPrefix: String
        package var rowsPerCall: Int

        package init(waitReplicas: Int = 0, waitTimeoutMilliseconds: Int = 1000, tombstoneTTLSeconds: Int64 = 604_800,
                    checkpointPrefix: String = "sluice:checkpoint:", rowsPerCall: Int = 200) {
            self.waitReplicas = waitReplicas
            self.waitTimeoutMilliseconds = waitTimeoutMilliseconds
            self.tombstoneTTLSeconds = tombstoneTTLSeconds
            self.checkpointPrefix = checkpointPrefix
            self.rowsPerCall = rowsPerCall
        }
    }

    package struct Counters: Sendable, Equatable {
        package var applied = 0
        /// Writes refused because Redis already held the same or a newer version (replays).
        package var staleRefused = 0
        /// Row changes dropped by a mapping with `on_error = "skip"`.
        package var skippedRows = 0
        /// Times a WAIT answered fewer replicas than required (the checkpoint still advanced).
        package var waitShortfalls = 0
        package var checkpoints = 0
        package init() {}
    }

    /// Writes of one table in one `apply`: written, and refused because Redis held the same or a newer version.
    package struct TableCounts: Sendable, Equatable {
        package var applied = 0
        package var stale = 0
        package init(applied: Int = 0, stale: Int = 0) {
            self.applied = applied
            self.stale = stale
        }
    }

    package let name: String
    package let settings: Settings
    package let applier: VersionedApplier
    /// Every mapping of a table that names this cluster (a table may have several keys).
    private let mappings: [String: [TableMapping]]
    package private(set) var counters = Counters()
    /// Writes applied and refused as stale by the last successful `apply`, by `db.table`.
    package private(set) var lastApplyByTable: [String: TableCounts] = [:]
    /// The last error of a skipped row, for status output.
    package private(set) var lastSkipped: MappingError?

    /// `mappings` not naming this sink's cluster in `clusters` are ignored.
    package init(name: String, client: RedisClusterClient, mappings: [TableMapping], settings: Settings = Settings()) {
        self.name = name
        self.settings = settings
        applier = VersionedApplier(client: client, tombstoneTTLSeconds: settings.tombstoneTTLSeconds, rowsPerCall: settings.rowsPerCall)
        self.mappings = Dictionary(grouping: mappings.filter { $0.clusters.contains(name) }, by: \.qualifiedTable)
    }

    package var checkpointKey: String { SinkCheckpoint.key(prefix: settings.checkpointPrefix, sink: name) }

    /// Loads the apply library on every master.
    package func prepare() throws(RedisError) { try applier.loadLibrary() }

    /// Maps the changes of whole transactions (tables without a mapping for this cluster are not
    /// written here), applies them, waits for replicas when configured, and only then writes
    /// `checkpoint` (nil: a chunk of a transaction not finished yet, the checkpoint stays where it
    /// is). Returns the outcome of every write in order. Throws on a mapping error of a
    /// table not set to skip, and on any Redis failure; the checkpoint is then left where it was.
    @discardableResult
    package func apply(_ changes: [RowChange], checkpoint: SinkCheckpoint?) throws -> [WriteOutcome] {
        var writes: [VersionedWrite] = []
        writes.reserveCapacity(changes.count)
        var tableOfWrite: [String] = []
        tableOfWrite.reserveCapacity(changes.count)
        // A table's mappings and column index, made once per run of its changes.
        var table: MappedTable?
        for change in changes {
            if !(table?.holds(change) ?? false) {
                table = MappedTable(change, mappings: mappings[change.qualifiedTable] ?? [])
            }
            guard let run = table else { continue }
            for m in run.mappings {
                do {
                    let mapped = try m.writes(for: change, columnIndex: run.index)
                    writes += mapped
                    tableOfWrite += repeatElement(run.qualified, count: mapped.count)
                } catch {
                    guard m.skipOnError else { throw error }
                    counters.skippedRows += 1
                    lastSkipped = error
                }
            }
        }
        applier.resetTouchedNodes()
        let outcomes = try applier.apply(writes)
        var byTable: [String: TableCounts] = [:]
        for (o, table) in zip(outcomes, tableOfWrite) {
            if o == .applied {
                counters.applied += 1
                byTable[table, default: TableCounts()].applied += 1
            } else {
                counters.staleRefused += 1
                byTable[table, default: TableCounts()].stale += 1
            }
        }
        lastApplyByTable = byTable
        try waitForReplicas(on: Array(applier.touchedNodes))
        guard let checkpoint else { return outcomes }
        let key = checkpointKey
        let reply = try applier.client.send(checkpoint.writeCommand(key: key, fence: applier.fence?.token), key: key)
        if let m = reply.errorMessage {
            throw RedisError(RedisError.code(forServerError: m), "writing checkpoint \(key) failed: \(m)")
        }
        counters.checkpoints += 1
        return outcomes
    }

    /// A table's mappings for this cluster (none: not written here) and column index, for a run
    /// of its changes.
    private struct MappedTable {
        let database: String
        let table: String
        let columns: [String]
        let mappings: [TableMapping]
        let qualified: String
        let index: [String: Int]

        init(_ change: RowChange, mappings: [TableMapping]) {
            database = change.database
            table = change.table
            columns = change.columns
            self.mappings = mappings
            qualified = change.qualifiedTable
            index = mappings.isEmpty ? [:] : TableMapping.columnIndex(change.columns)
        }

        func holds(_ change: RowChange) -> Bool {
            change.database == database && change.table == table && change.columns == columns
        }
    }

    /// The stored checkpoint, or nil for a sink that never advanced.
    package func loadCheckpoint() throws(RedisError) -> SinkCheckpoint? { try checkpoints.load(sink: name) }

    /// `WAIT` on the connection of every master serving slots: true when each answered the
    /// required count, so every write this sink made is on the replicas (e.g. after a batch whose
    /// `WAIT` fell short, once a replica is back). Does not count shortfalls.
    package func replicasHaveEverything() throws(RedisError) -> Bool {
        try waitForReplicas(on: applier.client.masters, counting: false)
    }

    /// `WAIT n timeout` on each node's connection (the one that carried its writes). A node that
    /// answers fewer replicas counts a shortfall (when `counting`); a failed connection throws.
    /// Returns whether every node answered enough replicas.
    @discardableResult
    private func waitForReplicas(on nodes: [RedisEndpoint], counting: Bool = true) throws(RedisError) -> Bool {
        guard settings.waitReplicas > 0, !nodes.isEmpty else { return true }
        var enough = true
        let wait = RedisCommand("WAIT", String(settings.waitReplicas), String(settings.waitTimeoutMilliseconds))
        for (node, result) in applier.client.perNode(Dictionary(uniqueKeysWithValues: nodes.map { ($0, [wait]) })) {
            let reply = try result.get()[0]
            guard let acked = reply.int else {
                throw RedisError(.server, "WAIT failed: \(reply)", node: node.description)
            }
            if acked < settings.waitReplicas {
                enough = false
                if counting { counters.waitShortfalls += 1 }
            }
        }
        return enough
    }
}
