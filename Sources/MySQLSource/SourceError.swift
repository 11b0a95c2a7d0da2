import Binlog

/// A failure of the replication source: what went wrong (`code`), a message written for the
/// operator, where in the binlog it happened when known, and the inner cause.
package struct SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable, Equatable {
        /// The server is not set up for row-based change capture (binlog off, format, image...).
        case prerequisite
        /// The account lacks a privilege the source needs.
        case privileges
        /// Connecting failed for a reason that may pass (network, server restarting).
        case connect
        /// The server refused the user name or password: retrying cannot help.
        case authentication
        /// Another replica uses the same server_id.
        case serverIDConflict
        /// A replica registered on the server (`SHOW SLAVE HOSTS`) has sluice's server_id: another
        /// instance, or this instance's previous connection that the server has not yet seen close.
        case serverIDInUse
        /// The requested binlog is no longer on the server.
        case purgedBinlog
        /// A MariaDB GTID start past the server's binlog: the server never wrote transactions the
        /// start point has (`PastTheBinlog`; e.g. a promoted replica that was behind).
        case pastTheBinlog
        /// The server ended the binlog dump with an error.
        case binlogDump
        /// An event could not be decoded.
        case decode
        /// The event stream broke the transaction rules (e.g. a commit without a start).
        case transaction
        /// An XA COMMIT arrived for a prepared transaction whose rows were never seen.
        case xaRowsMissing
        /// A row does not match the table's known columns.
        case schema
        /// The source came back as a different server and the stream cannot continue safely.
        case serverChanged
        /// Settings given to the source are wrong (start position text, TLS files...).
        case configuration
        /// The temp file holding a big prepared XA transaction could not be written or read.
        case spill
    }

    package let code: Code
    package let message: String
    /// `file:position` (or GTID) the failure relates to, when known.
    package let place: String?
    /// The libmariadb / server error behind it, when there is one.
    package let mysql: MySQLError?
    /// The decoder's error behind it, when there is one.
    package let decode: BinlogError?

    package init(
        _ code: Code, _ message: String, place: String? = nil, mysql: MySQLError? = nil, decode: BinlogError? = nil
    ) {
        self.code = code
        self.message = message
        self.place = place
        self.mysql = mysql
        self.decode = decode
    }

    /// Whether reconnecting can help (true only for `.connect` and dump errors that are not final).
    package var isRetryable: Bool { code == .connect }

    package var description: String {
        var text = "source \(code.rawValue)"
        if let place { text += " at \(place)" }
        text += ": \(message)"
        if let mysql { text += " (\(mysql))" }
        return text
    }
}
