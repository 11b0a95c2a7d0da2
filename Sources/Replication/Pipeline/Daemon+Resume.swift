import Binlog
import MySQLSource
import Ops

extension Daemon {
    /// Where to start (`ResumePlan`). A checkpoint this server cannot continue is refused like
    /// the startup checks (exit 3, which systemd does not restart): only the operator can choose
    /// the way out. That is a checkpoint of another server without GTID state, or a MariaDB GTID
    /// position past this server's binlog (`ResumePlan.pastTheBinlog`).
    func resumePlan(
        _ source: SourceConfig, resume: SinkCheckpoint?, endpoint: MySQLEndpoint, server: SourceIdentity
    ) throws -> ResumePlan {
        let plan: ResumePlan
        do {
            plan = try ResumePlan(configured: source.start, resume: resume, server: server)
        } catch {
            throw StartupRefusal(error.description)
        }
        if plan.basis == .gtid, case .mariadbGTID(let from) = plan.start {
            let text = try MySQLConnection(endpoint).query("SELECT @@gtid_binlog_pos AS g").value("g") ?? ""
            let binlog = MariaDBGTIDPosition(parsing: text) ?? MariaDBGTIDPosition()
            if let why = ResumePlan.pastTheBinlog(from, binlog: binlog, server: server) { throw StartupRefusal(why) }
        }
        return plan
    }
}
