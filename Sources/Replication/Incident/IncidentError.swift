import Ops

/// A failure of `sluice snapshot`, `resync`, `verify` or `checkpoint`. Usage codes (a wrong
/// cluster, table or position named on the command line) exit 2 before anything is written;
/// the others exit 1.
package struct IncidentError: Error, ExitCodeError, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// No `[redis.NAME]` section, or a cluster no mapping (nor `[dr_apply]`) writes to.
        case unknownCluster
        /// `--tables` names a table no mapping of the cluster covers.
        case unmappedTable
        /// `--position`/`--from`/`--to` is not `FILE:POS` or a MariaDB GTID position.
        case badPosition
        /// A mapped table that does not exist on the source.
        case unknownTable
        /// A mapped table without a primary key (no chunked read).
        case noPrimaryKey
        /// The source sent a value the column's type can't hold.
        case unreadableValue
        /// The source can't give the snapshot's binlog position (binary logging off).
        case noBinlogPosition
        /// A position the source does not have (purged, or never written).
        case positionNotOnServer
        /// The source has no `[source]` section.
        case noSource
        /// `sluice failover`: the DR cluster has no watermark to replay from.
        case noWatermark
        /// `sluice failover`: the new region's configuration would not load.
        case runConfig
        /// `sluice repair-ahead`: no `[kafka]` sink, so the changes past the server are nowhere to read.
        case noKafka
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    package var exitCode: ExitCode {
        switch code {
        case .unknownCluster, .unmappedTable, .badPosition, .noSource, .noKafka: return .usage
        case .positionNotOnServer: return .usage
        case .unknownTable, .noPrimaryKey, .unreadableValue, .noBinlogPosition, .noWatermark, .runConfig: return .failure
        }
    }
}
