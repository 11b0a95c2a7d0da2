import Binlog

/// `sluice binlog dump --from-server`: the source's transactions as change-event JSON lines
/// (docs/change-events.md), or as text with one header line per transaction.
package enum ServerDump {
    package enum Format: String, Sendable {
        case json, text
    }

    /// Reads until the end of the binlog (not following) or forever (following) and writes each
    /// line; returns the number of transactions.
    @discardableResult
    package static func run(
        _ source: BinlogSource, format: Format, limit: Int? = nil, write: (String) -> Void
    ) throws(SourceError) -> Int {
        var count = 0
        while limit.map({ count < $0 }) ?? true, let transaction = try source.next() {
            for line in lines(transaction, format: format, serverID: source.serverID ?? 0) { write(line) }
            if transaction.isLast { count += 1 }
        }
        return count
    }

    package static func lines(_ transaction: SourceTransaction, format: Format, serverID: UInt32) -> [String] {
        var out: [String] = []
        if format == .text {
            var header = "# \(transaction.start)..\(transaction.end)"
            if let gtid = transaction.gtid { header += " gtid \(gtid)" }
            if let xid = transaction.xid { header += " xa \(xid)" }
            if !transaction.isLast || transaction.chunk > 0 {
                header += " chunk \(transaction.chunk)\(transaction.isLast ? " (last)" : "")"
            }
            if let statement = transaction.statement { header += " statement: \(SQLCredentialMask.mask(statement))" }
            out.append(header)
        }
        let place = ChangeEvent.Source(
            serverID: serverID, file: transaction.end.file, position: transaction.end.offset, gtid: transaction.gtid,
            timestamp: transaction.timestamp)
        for change in transaction.changes {
            let line = ChangeEvent.jsonLine(of: change, source: place)
            out.append(format == .json ? line : "  " + line)
        }
        return out
    }
}
