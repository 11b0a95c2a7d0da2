import Binlog
import MySQLSource

extension ResumePlan {
    /// Why a MariaDB GTID position `from` (a checkpoint written reading another server) cannot be
    /// continued on `server`, whose `@@gtid_binlog_pos` is `binlog`; nil when it can. It cannot
    /// when it is past that binlog in some domain: the old primary wrote transactions the promoted
    /// server never received (with semi-synchronous replication, never acknowledged to a client),
    /// and the sinks have them. The server would answer "not in the master's binlog"; resuming
    /// anywhere else would leave those keys ahead of the rows they now follow.
    package static func pastTheBinlog(
        _ from: MariaDBGTIDPosition, binlog: MariaDBGTIDPosition, server: SourceIdentity
    ) -> String? {
        guard let past = PastTheBinlog(from, binlog: binlog) else { return nil }
        return
            "the checkpoint (gtid \(from)) is past the binlog of \(server) (gtid \(past.binlogText)): "
            + "\(past.transactions) transaction(s) of the old server reached the sinks but not this server (with semi-synchronous "
            + "replication, never acknowledged to a client), so keys may hold changes this server does not have. "
            + "Run `sluice repair-ahead --config FILE` to rewrite those keys from this server and move the checkpoints "
            + "onto it, then start again (docs/failover.md, \"Rows ahead\")"
    }
}
