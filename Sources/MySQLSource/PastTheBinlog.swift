import Binlog

/// A MariaDB GTID position past a server's binlog (`@@gtid_binlog_pos`): in some domain it names
/// transactions the server never wrote. The server answers a dump from there with "not in the
/// master's binlog", as for a purged binlog, but nothing was purged: the position comes from
/// another server that had more (an old primary whose last transactions the promoted replica never
/// received), or from a wrong configured start.
package struct PastTheBinlog: Sendable, Equatable {
    package let from: MariaDBGTIDPosition
    package let binlog: MariaDBGTIDPosition
    /// How many transactions of `from` the server's binlog lacks, over the domains where `from`
    /// is ahead (a domain the server has never written counts whole).
    package let transactions: Int

    /// Nil when `from` is within `binlog` in every domain.
    package init?(_ from: MariaDBGTIDPosition, binlog: MariaDBGTIDPosition) {
        var transactions = 0
        for g in from.gtids {
            let written = binlog.gtid(domain: g.domain)?.sequence ?? 0
            if written < g.sequence { transactions += Int(clamping: g.sequence - written) }
        }
        guard transactions > 0 else { return nil }
        self.from = from
        self.binlog = binlog
        self.transactions = transactions
    }

    /// The server's position as shown to people ("empty" for a server that wrote nothing).
    package var binlogText: String { binlog.description.isEmpty ? "empty" : binlog.description }
}
