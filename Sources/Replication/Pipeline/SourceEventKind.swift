import Binlog

extension DaemonMetrics {
    /// The `kind` label of `sluice_source_events_total` for an event type code: the type's name in
    /// snake case without its row-format version (`write_rows` for v0, v1 and v2), `unknown` for a
    /// code sluice does not know. An explicit table, so renaming an `EventType` case never renames
    /// a series a dashboard or alert refers to; a new case must be given its label here.
    static func eventKind(_ code: UInt8) -> String {
        guard let type = EventType(rawValue: code) else { return "unknown" }
        return eventKind(type)
    }

    static func eventKind(_ type: EventType) -> String {
        switch type {
        case .unknown: "unknown"
        case .startV3: "start"
        case .query: "query"
        case .stop: "stop"
        case .rotate: "rotate"
        case .intvar: "intvar"
        case .load: "load"
        case .slave: "slave"
        case .createFile: "create_file"
        case .appendBlock: "append_block"
        case .execLoad: "exec_load"
        case .deleteFile: "delete_file"
        case .newLoad: "new_load"
        case .rand: "rand"
        case .userVar: "user_var"
        case .formatDescription: "format_description"
        case .xid: "xid"
        case .beginLoadQuery: "begin_load_query"
        case .executeLoadQuery: "execute_load_query"
        case .tableMap: "table_map"
        case .preGAWriteRows: "pre_g_a_write_rows"
        case .preGAUpdateRows: "pre_g_a_update_rows"
        case .preGADeleteRows: "pre_g_a_delete_rows"
        case .writeRowsV1: "write_rows"
        case .updateRowsV1: "update_rows"
        case .deleteRowsV1: "delete_rows"
        case .incident: "incident"
        case .heartbeat: "heartbeat"
        case .ignorable: "ignorable"
        case .rowsQuery: "rows_query"
        case .writeRowsV2: "write_rows"
        case .updateRowsV2: "update_rows"
        case .deleteRowsV2: "delete_rows"
        case .gtid: "gtid"
        case .anonymousGtid: "anonymous_gtid"
        case .previousGtids: "previous_gtids"
        case .transactionContext: "transaction_context"
        case .viewChange: "view_change"
        case .xaPrepare: "xa_prepare"
        case .partialUpdateRows: "partial_update_rows"
        case .transactionPayload: "transaction_payload"
        case .heartbeatV2: "heartbeat"
        case .gtidTagged: "gtid_tagged"
        case .annotateRows: "annotate_rows"
        case .binlogCheckpoint: "binlog_checkpoint"
        case .mariadbGtid: "mariadb_gtid"
        case .mariadbGtidList: "mariadb_gtid_list"
        case .startEncryption: "start_encryption"
        case .queryCompressed: "query_compressed"
        case .writeRowsCompressedV1: "write_rows_compressed"
        case .updateRowsCompressedV1: "update_rows_compressed"
        case .deleteRowsCompressedV1: "delete_rows_compressed"
        case .writeRowsCompressed: "write_rows_compressed"
        case .updateRowsCompressed: "update_rows_compressed"
        case .deleteRowsCompressed: "delete_rows_compressed"
        }
    }
}
