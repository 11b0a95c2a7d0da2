/// One human-readable line per event for `sluice binlog dump --format text` (rows follow as
/// indented lines written by the dump).
enum EventText {
    static func line(_ e: Event) -> String {
        let h = e.header
        var s = "#\(e.position) \(EventType.name(of: h.typeCode)) ts=\(h.timestamp) server_id=\(h.serverID) "
            + "size=\(h.eventSize) next=\(h.nextPosition)"
        let detail = details(e.body)
        if !detail.isEmpty { s += " " + detail }
        return s
    }

    static func details(_ body: EventBody) -> String {
        switch body {
        case .formatDescription(let f):
            return "binlog_version=\(f.binlogVersion) server=\(quoted(f.serverVersion)) flavour=\(f.flavour.rawValue) checksum=\(f.checksum)"
        case .rotate(let r): return "next_file=\(quoted(r.nextFile)) pos=\(r.position)"
        case .query(let q):
            var s = "thread=\(q.threadID) exec_time=\(q.executionTime) error=\(q.errorCode) db=\(quoted(q.schema))"
            if let c = q.status.charset { s += " charset_client=\(c.client) collation_connection=\(c.connection) collation_server=\(c.server)" }
            return s + " sql=\(quoted(SQLCredentialMask.mask(q.sqlText)))"
        case .stop: return ""
        case .intvar(let i): return "type=\(i.kind == 1 ? "LAST_INSERT_ID" : i.kind == 2 ? "INSERT_ID" : String(i.kind)) value=\(i.value)"
        case .rand(let r): return "seed1=\(r.seed1) seed2=\(r.seed2)"
        case .userVar(let u):
            guard let v = u.value else { return "@\(u.name)=NULL" }
            return "@\(u.name) type=\(u.valueType ?? 0) charset=\(u.charset ?? 0) value=0x\(Hex.string(v))"
        case .xid(let x): return "xid=\(x) COMMIT"
        case .xaPrepare(let x): return "XA PREPARE \(x.xid)\(x.onePhase ? " ONE PHASE" : "")"
        case .tableMap(let t):
            let cols = t.columns.enumerated().map { i, c in
                "\(t.columnLabel(i)):\(c.type)\(c.unsigned ? " unsigned" : "")\(c.nullable ? "" : " not null")"
            }
            let pk = t.primaryKey.isEmpty ? "" : " pk=[" + t.primaryKey.map { t.columnLabel($0.column) }.joined(separator: ",") + "]"
            return "table_id=\(t.tableID) `\(t.schema)`.`\(t.table)` columns=[\(cols.joined(separator: ", "))]\(pk)"
        case .rows(let r):
            return "table_id=\(r.tableID) \(r.kind.rawValue) rows=\(r.rowCount) flags=\(r.flags)"
        case .incident(let i): return "incident=\(i.incident) message=\(quoted(i.message))"
        case .heartbeat(let h): return "file=\(quoted(h.file)) pos=\(h.position)"
        case .rowsQuery(let q), .annotateRows(let q): return "sql=\(quoted(Event.displayText(q)))"
        case .mysqlGtid(let g):
            var s = g.gtidText.map { "gtid=\($0)" } ?? "anonymous"
            if let lc = g.lastCommitted, let sn = g.sequenceNumber { s += " last_committed=\(lc) sequence_number=\(sn)" }
            if let ts = g.immediateCommitTimestamp { s += " commit_us=\(ts)" }
            return s
        case .previousGtids(let set): return "gtids=\(quoted(set.description))"
        case .mariadbGtid(let g):
            var s = "gtid=\(g.gtid) flags=0x\(String(g.flags, radix: 16))"
            if g.isStandalone { s += " standalone" } else { s += " BEGIN" }
            if let c = g.commitID { s += " commit_id=\(c)" }
            if let x = g.xid { s += " xid=\(x)" }
            return s
        case .mariadbGtidList(let l): return "gtids=\(quoted(MariaDBGTIDPosition(l.gtids).description))"
        case .binlogCheckpoint(let f): return "file=\(quoted(f))"
        case .transactionPayload(let p):
            return "compression=\(p.compression == .zstd ? "zstd" : "none") uncompressed=\(p.uncompressedSize) events=\(p.events.count)"
        case .unknown(let t): return "(type \(t): not interpreted, skipped)"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = ""
        out.appendJSONQuoted(s)
        return out
    }
}
