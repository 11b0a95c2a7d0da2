import Foundation
import MySQLSource

/// Replication between two sandbox servers: the DR region's database as a GTID replica of the
/// primary, semi-synchronous when asked, and its promotion after the primary is lost.
extension MariaDBServer {
    /// Makes this server a replica of `primary` (`MASTER_USE_GTID = slave_pos`). With `semiSync`
    /// the primary waits, after writing a commit to its binlog and before the commit returns,
    /// until this replica has the transaction (`AFTER_SYNC`: an acknowledged commit is on both);
    /// `semiSyncTimeoutMS` is how long it waits before going on asynchronously. Returns once
    /// both replication threads run and, with `semiSync`, the primary counts this replica as a
    /// semi-synchronous client.
    package func replicate(
        from primary: MariaDBServer, semiSync: Bool, semiSyncTimeoutMS: Int = 10_000, timeout: Double = 15
    ) throws {
        let source = try primary.connect()
        let replica = try connect()
        if semiSync {
            try source.execute(
                "SET GLOBAL rpl_semi_sync_master_enabled = ON, rpl_semi_sync_master_wait_point = 'AFTER_SYNC', "
                    + "rpl_semi_sync_master_timeout = \(semiSyncTimeoutMS)")
            try replica.execute("SET GLOBAL rpl_semi_sync_slave_enabled = ON")
        }
        try replica.execute(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = \(primary.port), MASTER_USER = 'root', "
                + "MASTER_USE_GTID = slave_pos")
        try replica.execute("START SLAVE")
        let running = try eventually(timeout: timeout, interval: 0.02) { () throws -> Bool in
            let status = try replica.query("SHOW SLAVE STATUS")
            guard status.value("Slave_IO_Running") == "Yes", status.value("Slave_SQL_Running") == "Yes" else {
                return false
            }
            guard semiSync else { return true }
            let clients = try source.query("SHOW STATUS LIKE 'Rpl_semi_sync_master_clients'")
            return Int(clients.value("Value") ?? "0") ?? 0 >= 1
        }
        guard running else {
            let status = try replica.query("SHOW SLAVE STATUS")
            throw SandboxError(
                .notReady, service: Self.service,
                message: "replica \(port) of \(primary.port) not running after \(timeout) s: IO "
                    + "\(status.value("Slave_IO_Running") ?? "?") (\(status.value("Last_IO_Error") ?? "")), SQL "
                    + "\(status.value("Slave_SQL_Running") ?? "?") (\(status.value("Last_SQL_Error") ?? ""))")
        }
    }

    /// Promotes this replica after its primary is gone: waits until it applied everything it
    /// received (its SQL thread has read the whole relay log), then stops replication and forgets
    /// the primary (`STOP SLAVE; RESET SLAVE ALL`). Returns its GTID position (`@@gtid_binlog_pos`).
    package func promote(timeout: Double = 30) throws -> String {
        let replica = try connect()
        let applied = try eventually(timeout: timeout, interval: 0.02) { () throws -> Bool in
            let status = try replica.query("SHOW SLAVE STATUS")
            return status.value("Slave_SQL_Running_State")?.hasPrefix("Slave has read all relay log") ?? false
        }
        guard applied else {
            let status = try replica.query("SHOW SLAVE STATUS")
            throw SandboxError(
                .notReady, service: Self.service,
                message: "replica \(port) still applying its relay log after \(timeout) s: "
                    + "\(status.value("Slave_SQL_Running_State") ?? "?") \(status.value("Last_SQL_Error") ?? "")")
        }
        try replica.execute("STOP SLAVE")
        try replica.execute("RESET SLAVE ALL")
        return try replica.query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
    }
}
