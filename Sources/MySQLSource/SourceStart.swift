import Binlog

/// Where a fresh source starts reading.
package enum SourceStart: Sendable, Equatable, CustomStringConvertible {
    /// A binlog file and the position of an event's first byte in it (4 = the file's start).
    case position(BinlogPosition)
    /// A MariaDB GTID position (`gtid_slave_pos` form): the first transaction after these.
    case mariadbGTID(MariaDBGTIDPosition)
    /// A MySQL GTID set (`gtid_executed` form): every transaction not in it.
    case mysqlGTID(MySQLGTIDSet)
    /// The end of the binlog now (SHOW MASTER STATUS): only changes made from now on.
    case current
    /// The start of the oldest binlog file still on the server (SHOW BINARY LOGS).
    case earliest

    /// Parses `--start` text: `current`, `earliest`, `FILE:POS` (e.g. `bin.000003:1234`), a
    /// MariaDB GTID position (`0-1-42,1-2-7`) or a MySQL GTID set (`uuid:1-42`). The prefixes
    /// `gtid:` and `mysql-gtid:` say which GTID form is meant.
    package init(parsing text: String) throws(SourceError) {
        let trimmed = text.trimmed(of: " \t")
        switch trimmed.lowercased() {
        case "current", "now", "end":
            self = .current
            return
        case "earliest", "beginning", "start":
            self = .earliest
            return
        default: break
        }
        if trimmed.hasPrefix("mysql-gtid:") {
            guard let set = MySQLGTIDSet(parsing: String(trimmed.dropFirst("mysql-gtid:".count))) else {
                throw Self.bad(text, "not a MySQL GTID set (uuid:1-5,uuid2:7)")
            }
            self = .mysqlGTID(set)
            return
        }
        if trimmed.hasPrefix("gtid:") {
            guard let position = MariaDBGTIDPosition(parsing: String(trimmed.dropFirst(5))) else {
                throw Self.bad(text, "not a MariaDB GTID position (domain-server-sequence, comma separated)")
            }
            self = .mariadbGTID(position)
            return
        }
        if !trimmed.isEmpty, let position = MariaDBGTIDPosition(parsing: trimmed) {
            self = .mariadbGTID(position)
        } else if !trimmed.isEmpty, let set = MySQLGTIDSet(parsing: trimmed), !set.isEmpty {
            self = .mysqlGTID(set)
        } else if let position = BinlogPosition(parsing: trimmed), position.offset >= 4 {
            self = .position(position)
        } else {
            throw Self.bad(
                text,
                "expected current, earliest, FILE:POS, a MariaDB GTID position (0-1-42) or a MySQL GTID set (uuid:1-42)"
            )
        }
    }

    private static func bad(_ text: String, _ reason: String) -> SourceError {
        SourceError(.configuration, "start position \"\(text)\": \(reason)")
    }

    package var description: String {
        switch self {
        case .position(let position): return position.description
        case .mariadbGTID(let gtid): return "gtid:\(gtid)"
        case .mysqlGTID(let set): return "mysql-gtid:\(set)"
        case .current: return "current"
        case .earliest: return "earliest"
        }
    }
}

extension String {
    func trimmed(of characters: String) -> String {
        let set = Set(characters)
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
