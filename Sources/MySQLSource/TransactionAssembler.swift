import Binlog

/// Turns located events into committed transactions, as a pure state machine (no I/O: the table
/// schemas come from the `schema` function passed to `consume`).
///
/// - An event group runs from its GTID event (or BEGIN) to XID, COMMIT, or the single statement of
///   a standalone group; it is handed out only when it ends, in chunks of at most `chunkRows` rows
///   so a huge transaction needs bounded memory. Only the last chunk carries a checkpoint.
/// - XA: the rows of a group ending in XA PREPARE are held (by XID) until XA COMMIT, then handed
///   out as one transaction; XA ROLLBACK drops them. Above `spillRows` held rows, the group is
///   marked `spilled` and its rows dropped from memory: the caller keeps them (the raw events, see
///   `BinlogSource`) and hands them out in chunks when `committedSpill` names the XID. While any prepared XA is undecided, every
///   checkpoint stays at the start of the oldest undecided XA PREPARE group, so a restart reads it
///   again. An XA COMMIT whose PREPARE was never seen stops with `.xaRowsMissing` naming the XID,
///   unless the XID is in `assumeEmpty`.
/// - Reconnects: `connectionLost()` forgets the group in flight but remembers how many of its rows
///   were handed out; when the same group (same GTID, else same start) is read again, those rows
///   are skipped, so downstream sees neither a gap nor a repeat.
package struct TransactionAssembler: Sendable {
    package let chunkRows: Int
    package let spillRows: Int
    /// The XA transaction whose COMMIT the last `consume` returned with its rows spilled: the
    /// caller hands out its rows in place of the (empty) transaction returned.
    package private(set) var committedSpill: XID?
    package var assumeEmpty: Set<XID>

    /// End of the last group read to its end: where a new connection resumes.
    package private(set) var resume: SourceCheckpoint
    /// Prepared XA transactions not yet decided, oldest first.
    package private(set) var pending: [PendingXA] = []

    private var group: Group?
    private var tables: [UInt64: TableMapEvent] = [:]
    private var replay: Replay?

    package struct PendingXA: Sendable, Equatable {
        package var xid: XID
        package var changes: [RowChange]
        /// The rows are not in `changes` but kept by the caller.
        package var spilled = false
        /// Where the XA PREPARE group starts, and the GTID state before it.
        package var restart: SourceCheckpoint
        package var gtid: String?
    }

    private struct Group: Sendable {
        var gtid: String?
        var mariadbGTID: MariaDBGTID?
        var mysqlGTID: (MySQLGTIDSet.TSID, UInt64)?
        var xid: XID?
        var start: BinlogPosition
        var before: SourceCheckpoint
        var timestamp: UInt32
        var standalone: Bool
        /// An XA transaction being prepared: its rows are held whole, never chunked.
        var preparing = false
        var spilled = false
        var sawBegin = false
        /// Where the previous rows event of the group ended (a chunk's `end`).
        var lastRowsEnd: BinlogPosition?
        var changes: [RowChange] = []
        var chunk = 0
        var handedOut = 0
        var skip = 0
    }

    private struct Replay: Sendable {
        var gtid: String?
        var start: BinlogPosition
        var rows: Int
        var chunk: Int
    }

    package init(
        from start: SourceCheckpoint, chunkRows: Int = 10_000, spillRows: Int = 100_000, assumeEmpty: Set<XID> = []
    ) {
        resume = start
        self.chunkRows = max(1, chunkRows)
        self.spillRows = max(1, spillRows)
        self.assumeEmpty = assumeEmpty
    }

    /// The connection broke: the group in flight will be read again from `resume`. Returns
    /// how many of its rows had already been handed out (nil when no group was open).
    @discardableResult
    package mutating func connectionLost() -> Int? {
        defer {
            group = nil
            tables = [:]
        }
        guard let group else { return nil }
        if group.handedOut > 0 {
            replay = Replay(gtid: group.gtid, start: group.start, rows: group.handedOut, chunk: group.chunk)
        }
        return group.handedOut
    }

    /// Where a restart may begin without losing anything: `resume`, or the oldest undecided XA.
    package var checkpoint: SourceCheckpoint { pending.first?.restart ?? resume }
    /// An XA transaction is being prepared (its rows are held, or spilled, never handed out).
    package var preparing: Bool { group?.preparing == true }

    package mutating func consume(
        _ located: SourceEvent, schema: (TableMapEvent) throws(SourceError) -> TableSchema
    ) throws(SourceError) -> [SourceTransaction] {
        committedSpill = nil
        let event = located.event
        let here = BinlogPosition(file: located.file, offset: located.position)
        let after = BinlogPosition(file: located.file, offset: located.nextPosition)
        switch event.body {
        case .mariadbGtid(let gtid):
            try open(at: here, event: event, standalone: gtid.isStandalone, place: located.place)
            group?.gtid = gtid.gtid.description
            group?.mariadbGTID = gtid.gtid
            group?.xid = gtid.xid
            group?.preparing = gtid.flags & MariaDBGtidEvent.preparedXA != 0
            return []
        case .mysqlGtid(let gtid):
            try open(at: here, event: event, standalone: true, place: located.place)
            group?.gtid = gtid.gtidText
            if !gtid.anonymous { group?.mysqlGTID = (MySQLGTIDSet.TSID(gtid.uuid, tag: gtid.tag), gtid.gno) }
            return []
        case .query(let query):
            return try statement(query, here: here, after: after, event: event, place: located.place)
        case .tableMap(let map):
            tables[map.tableID] = map
            return []
        case .rows(let rows):
            return try self.rows(rows, after: after, place: located.place, schema: schema)
        case .xid:
            return try close(after: after, place: located.place)
        case .xaPrepare(let prepare):
            if prepare.onePhase { return try close(after: after, place: located.place) }
            return try hold(prepare.xid, after: after, place: located.place)
        case .previousGtids(let set)
        where group == nil && located.file == resume.binlog.file && resume.binlog.offset <= located.position:
            // MySQL: every GTID executed before this file. Read from the file's start (nothing
            // but the format description lies between the resume point and here), it is the
            // executed set at this point; each transaction's GTID is added to it from here on.
            resume.mysqlGTID = (resume.mysqlGTID ?? MySQLGTIDSet()).union(set)
            return []
        case .rotate(let rotate) where group == nil && !event.header.isArtificial:
            resume.binlog = BinlogPosition(file: rotate.nextFile, offset: rotate.position)
            return []
        case .transactionPayload(let payload):
            // A MySQL compressed transaction: its events, each at the payload event's place, so
            // the transaction ends (and resumes) after the payload event.
            var out: [SourceTransaction] = []
            for inner in payload.events {
                out += try consume(
                    SourceEvent(event: inner, file: located.file, position: located.position, nextPosition: located.nextPosition),
                    schema: schema)
            }
            return out
        case .incident(let incident):
            throw SourceError(
                .binlogDump, "the server logged an incident (\(incident.incident)): \(incident.message)",
                place: located.place)
        case .unknown(let type) where event.header.flags & 0x80 == 0:
            throw SourceError(
                .decode, "event type \(type) is not understood and not marked ignorable", place: located.place)
        default:
            return []
        }
    }

    private mutating func open(at start: BinlogPosition, event: Event, standalone: Bool, place: String)
        throws(SourceError)
    {
        if let group {
            throw SourceError(
                .transaction,
                "a new transaction starts while the one from \(group.start) (\(group.gtid ?? "no GTID")) is still open",
                place: place)
        }
        var opened = Group(
            start: start, before: resume, timestamp: event.header.timestamp, standalone: standalone)
        if let replay, replay.start == start || (replay.gtid != nil && replay.gtid == opened.gtid) {
            opened.skip = replay.rows
            opened.chunk = replay.chunk
            opened.handedOut = replay.rows
        }
        group = opened
    }

    private mutating func statement(
        _ query: QueryEvent, here: BinlogPosition, after: BinlogPosition, event: Event, place: String
    ) throws(SourceError) -> [SourceTransaction] {
        let sql = query.sqlText
        let kind = StatementKind(sql)
        switch kind {
        case .begin:
            if group == nil { try open(at: here, event: event, standalone: false, place: place) }
            group?.sawBegin = true
            group?.standalone = false
            return []
        case .commit, .rollback:
            return try close(after: after, place: place)
        case .xaMarker:
            if StatementKind.words(sql, count: 2).last == "START" { group?.preparing = true }
            return []
        case .savepoint:
            return []
        case .xaCommit(let text), .xaRollback(let text):
            return try decide(
                text, commit: kind != .xaRollback(text), here: here, after: after, event: event, place: place)
        case .statementDML where group?.standalone == false:
            throw SourceError(
                .transaction,
                "a data change written as a statement (binlog_format is not ROW for this session): \(sql.prefix(200))",
                place: place)
        case .statementDML, .other:
            if group == nil { try open(at: here, event: event, standalone: true, place: place) }
            guard group?.standalone == true else { return [] }
            return try close(after: after, place: place, statement: sql, database: query.schema)
        }
    }

    private mutating func rows(
        _ rows: RowsEvent, after: BinlogPosition, place: String,
        schema: (TableMapEvent) throws(SourceError) -> TableSchema
    ) throws(SourceError) -> [SourceTransaction] {
        guard group != nil else {
            throw SourceError(.transaction, "row event outside a transaction", place: place)
        }
        guard let map = tables[rows.tableID] else {
            throw SourceError(.decode, "rows for table id \(rows.tableID), which no TABLE_MAP announced", place: place)
        }
        let table = try schema(map)
        let changes = try RowChange.changes(of: rows, table: table, map: map, place: place)
        let lastEnd = group?.lastRowsEnd ?? after
        group?.lastRowsEnd = after
        var out: [SourceTransaction] = []
        for change in changes {
            if let skip = group?.skip, skip > 0 {
                group?.skip = skip - 1
                continue
            }
            // A full chunk goes out when one more row arrives, so the last chunk is never empty.
            if let open = group, open.changes.count >= chunkRows, !open.preparing {
                if let chunk = Self.flushChunk(&group, end: lastEnd) { out.append(chunk) }
            }
            group?.changes.append(change)
        }
        if let open = group, open.preparing, open.spilled || open.changes.count > spillRows {
            group?.spilled = true
            group?.changes = []
        }
        return out
    }

    private static func flushChunk(_ group: inout Group?, end: BinlogPosition) -> SourceTransaction? {
        guard var open = group else { return nil }
        let chunk = SourceTransaction(
            gtid: open.gtid, xid: nil, changes: open.changes, chunk: open.chunk, isLast: false, start: open.start,
            end: end,
            timestamp: open.timestamp, checkpoint: nil)
        open.handedOut += open.changes.count
        open.changes = []
        open.chunk += 1
        group = open
        return chunk
    }

    private mutating func close(
        after: BinlogPosition, place: String, statement: String? = nil, database: String? = nil
    ) throws(SourceError)
        -> [SourceTransaction]
    {
        guard let open = group else {
            throw SourceError(.transaction, "a commit without a transaction start", place: place)
        }
        group = nil
        replay = nil
        advance(open, to: after)
        return [
            SourceTransaction(
                gtid: open.gtid, xid: nil, changes: open.changes, statement: statement, statementDatabase: database,
                chunk: open.chunk, isLast: true, start: open.start, end: after, timestamp: open.timestamp,
                checkpoint: checkpoint)
        ]
    }

    private mutating func hold(_ xid: XID, after: BinlogPosition, place: String) throws(SourceError)
        -> [SourceTransaction]
    {
        guard let open = group else {
            throw SourceError(.transaction, "XA PREPARE without a transaction start", place: place)
        }
        group = nil
        replay = nil
        pending.removeAll { $0.xid == xid }
        pending.append(
            PendingXA(
                xid: xid, changes: open.changes, spilled: open.spilled, restart: open.before, gtid: open.gtid))
        advance(open, to: after)
        return []
    }

    private mutating func decide(
        _ text: String, commit: Bool, here: BinlogPosition, after: BinlogPosition, event: Event, place: String
    ) throws(SourceError) -> [SourceTransaction] {
        if group == nil { try open(at: here, event: event, standalone: true, place: place) }
        guard let open = group else { return [] }
        let xid = open.xid
        let index = pending.firstIndex { $0.xid == xid || $0.xid.description == text }
        let held = index.map { pending[$0] }
        if let index { pending.remove(at: index) }
        group = nil
        replay = nil
        advance(open, to: after)
        var changes: [RowChange] = []
        if commit {
            if let held {
                changes = held.changes
                if held.spilled { committedSpill = held.xid }
            } else if let xid, assumeEmpty.contains(xid) {
                changes = []
            } else {
                throw SourceError(
                    .xaRowsMissing,
                    "XA COMMIT \(xid?.description ?? text): its XA PREPARE (with the rows) was not read by this source "
                        + "(it lies before the start point, or its binlog was purged while the transaction was in doubt); "
                        + "its changes are unknown. Check the rows of this XA transaction, then reload its tables with `sluice snapshot "
                        + "--config FILE --cluster NAME --tables DB.TABLE` (it moves that cluster's checkpoint past it; the Kafka "
                        + "sink's moves with `sluice checkpoint set`; docs/resync.md), "
                        + "or list the XID as known-empty",
                    place: place)
            }
        }
        return [
            SourceTransaction(
                gtid: open.gtid, xid: held?.xid ?? xid, rolledBack: !commit, changes: changes, statement: nil, chunk: 0,
                isLast: true,
                start: open.start,
                end: after, timestamp: open.timestamp, checkpoint: checkpoint)
        ]
    }

    /// The group ended at `after`: the resume point and GTID state move past it.
    private mutating func advance(_ group: Group, to after: BinlogPosition) {
        resume.binlog = after
        if let gtid = group.mariadbGTID {
            var state = resume.mariadbGTID ?? MariaDBGTIDPosition()
            state.update(gtid)
            resume.mariadbGTID = state
        }
        if let (tsid, gno) = group.mysqlGTID, resume.mysqlGTID != nil {
            resume.mysqlGTID?.insert(tsid, gno)
        }
    }
}
