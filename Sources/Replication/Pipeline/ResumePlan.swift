import Binlog
import MySQLSource
import Ops

/// Where `sluice run` starts reading, from `[source] start`, the sinks' resume checkpoint and the
/// server `[source]` reaches now (guarantee 8: positions belong to a server). Rules:
/// - No checkpoint, or a start that ignores checkpoints: the configured start.
/// - The checkpoint's server is this server (same flavour and server_id, same server_uuid when
///   both have one): its binlog file:offset, as before.
/// - The checkpoint names no server (written by a sluice before checkpoints named it): its
///   file:offset, as before; `basis` says so in the start line.
/// - Another server of the same flavour: the checkpoint's GTID state (MariaDB position per
///   domain, MySQL executed set), so the new server sends every transaction after it.
/// - Another server and no GTID state, or another flavour: refused with why and what to do.
///   A file:offset of one server is never applied to another's binlog.
package struct ResumePlan: Sendable, Equatable {
    package enum Basis: String, Sendable, Equatable {
        case configured, position
        case unnamedPosition = "position (checkpoint names no server)"
        case gtid
    }

    package var start: SourceStart
    package var basis: Basis

    package init(start: SourceStart, basis: Basis) {
        self.start = start
        self.basis = basis
    }

    package init(
        configured: SourceConfig.Start, resume: SinkCheckpoint?, server: SourceIdentity
    ) throws(DaemonError) {
        guard let resume, configured == .checkpointOrEarliest || configured == .checkpointOrEnd else {
            do {
                self.init(start: try SourceStart(configured: configured), basis: .configured)
            } catch {
                throw DaemonError("\(error)")
            }
            return
        }
        try self.init(resume: resume, server: server)
    }

    /// Where to continue from `resume` on `server`.
    package init(resume: SinkCheckpoint, server: SourceIdentity) throws(DaemonError) {
        guard let written = resume.source else {
            self.init(start: .position(resume.position), basis: .unnamedPosition)
            return
        }
        if written.isSameServer(as: server) {
            self.init(start: .position(resume.position), basis: .position)
            return
        }
        if written.flavor == server.flavor {
            if server.flavor == ServerSettings.Flavour.mariadb.rawValue,
                let gtid = resume.gtid, !gtid.gtids.isEmpty
            {
                self.init(start: .mariadbGTID(gtid), basis: .gtid)
                return
            }
            if server.flavor == ServerSettings.Flavour.mysql.rawValue,
                let set = resume.mysqlGTID, !set.isEmpty
            {
                self.init(start: .mysqlGTID(set), basis: .gtid)
                return
            }
        }
        throw DaemonError(Self.refusal(resume, written: written, server: server))
    }

    static func refusal(_ resume: SinkCheckpoint, written: SourceIdentity, server: SourceIdentity) -> String {
        let why =
            written.flavor != server.flavor
            ? "GTIDs of one flavour mean nothing to the other"
            : "the checkpoint holds no GTID state to resume from"
        return "the checkpoint at \(resume.position) was written reading \(written), but [source] now reaches "
            + "\(server) and \(why); a binlog file:offset of one server means nothing in another's binlog, so "
            + "sluice will not resume there. Either point [source] back at server_id \(written.serverID), or move "
            + "every sink's checkpoint to the matching place on the new server with `sluice checkpoint set --config "
            + "FILE --sink NAME --position FILE:POS|GTID` (`sluice checkpoint show` lists the sinks), or reload the "
            + "clusters with `sluice snapshot` (docs/failover.md)"
    }
}
