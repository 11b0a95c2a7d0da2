/// `sluice binlog dump`: decodes binlog files and writes one JSON row change per line (the
/// change-event schema) or every event as text. Positions: `startPosition` applies to the first
/// file, `stopPosition` to the last (as in mysqlbinlog); FORMAT_DESCRIPTION is always read first.
package struct BinlogDump {
    package enum Format: String, Sendable, Equatable {
        case json, text
    }

    package struct Options: Sendable, Equatable {
        package var format: Format
        /// `db.table` names to keep (row changes and, in text, their TABLE_MAP/rows events); nil = all.
        package var tables: Set<String>?
        package var startPosition: UInt64?
        package var stopPosition: UInt64?

        package init(format: Format = .json, tables: Set<String>? = nil, startPosition: UInt64? = nil, stopPosition: UInt64? = nil) {
            self.format = format
            self.tables = tables
            self.startPosition = startPosition
            self.stopPosition = stopPosition
        }
    }

    package struct Summary: Sendable, Equatable {
        package var events = 0
        package var rowChanges = 0
        /// Events of types not interpreted, per type code.
        package var unknown: [UInt8: Int] = [:]
    }

    package var options: Options
    package var decompressor: (any BinlogDecompressor)?
    package var textConverter: (any TextConverter)?

    package init(options: Options, decompressor: (any BinlogDecompressor)? = nil, textConverter: (any TextConverter)? = nil) {
        self.options = options
        self.decompressor = decompressor
        self.textConverter = textConverter
    }

    /// Dumps `files` in order, handing each output line to `write`.
    package func run(files: [String], write: (String) -> Void) throws(BinlogError) -> Summary {
        var summary = Summary()
        for (i, path) in files.enumerated() {
            try dump(path, start: i == 0 ? options.startPosition : nil,
                     stop: i == files.count - 1 ? options.stopPosition : nil, summary: &summary, write: write)
        }
        return summary
    }

    private func keep(_ t: TableMapEvent) -> Bool {
        options.tables.map { $0.contains("\(t.schema).\(t.table)") } ?? true
    }

    private func dump(_ path: String, start: UInt64?, stop: UInt64?, summary: inout Summary,
                      write: (String) -> Void) throws(BinlogError) {
        let reader = try BinlogFileReader(path: path)
        var decoder = EventDecoder(file: reader.fileName, decompressor: decompressor, textConverter: textConverter)
        var gtid: String?
        var first = true
        while let (pos, bytes) = try reader.next() {
            if let stop, pos >= stop { break }
            let event = try decoder.decode(bytes, position: pos)
            if first, let start, start > pos + UInt64(bytes.count) {
                first = false
                try reader.seek(to: start)
                if options.format == .text { write(EventText.line(event)) }
                summary.events += 1
                continue
            }
            first = false
            handle(event, fileName: reader.fileName, gtid: &gtid, decoder: decoder, summary: &summary, write: write)
            // A compressed transaction: its events, each at the payload event's position.
            if case .transactionPayload(let payload) = event.body {
                for inner in payload.events {
                    handle(inner, fileName: reader.fileName, gtid: &gtid, decoder: decoder, summary: &summary, write: write)
                }
            }
        }
    }

    private func handle(_ event: Event, fileName: String, gtid: inout String?, decoder: EventDecoder,
                        summary: inout Summary, write: (String) -> Void) {
        summary.events += 1
        switch event.body {
        case .mysqlGtid(let g): gtid = g.gtidText
        case .mariadbGtid(let g): gtid = g.gtid.description
        case .unknown(let t): summary.unknown[t, default: 0] += 1
        default: break
        }
        var table: TableMapEvent?
        if case .rows(let r) = event.body { table = decoder.tables[r.tableID] }
        if case .tableMap(let t) = event.body, !keep(t) { return }
        if let t = table, !keep(t) { return }
        if options.format == .text { write(EventText.line(event)) }
        guard case .rows(let r) = event.body, let t = table else { return }
        let source = ChangeEvent.Source(serverID: event.header.serverID, file: fileName, position: event.position,
                                        gtid: gtid, timestamp: event.header.timestamp)
        for line in ChangeEvent.jsonLines(of: r, table: t, source: source) {
            summary.rowChanges += 1
            write(options.format == .json ? line : "  " + line)
        }
    }
}
