/// Binlog event type codes (`Log_event_type`): MySQL 5.x/8.x and MariaDB 10.x.
package enum EventType: UInt8, Sendable, Equatable, CaseIterable {
    case unknown = 0
    case startV3 = 1
    case query = 2
    case stop = 3
    case rotate = 4
    case intvar = 5
    case load = 6
    case slave = 7
    case createFile = 8
    case appendBlock = 9
    case execLoad = 10
    case deleteFile = 11
    case newLoad = 12
    case rand = 13
    case userVar = 14
    case formatDescription = 15
    case xid = 16
    case beginLoadQuery = 17
    case executeLoadQuery = 18
    case tableMap = 19
    case preGAWriteRows = 20
    case preGAUpdateRows = 21
    case preGADeleteRows = 22
    case writeRowsV1 = 23
    case updateRowsV1 = 24
    case deleteRowsV1 = 25
    case incident = 26
    case heartbeat = 27
    case ignorable = 28
    case rowsQuery = 29
    case writeRowsV2 = 30
    case updateRowsV2 = 31
    case deleteRowsV2 = 32
    case gtid = 33
    case anonymousGtid = 34
    case previousGtids = 35
    case transactionContext = 36
    case viewChange = 37
    case xaPrepare = 38
    case partialUpdateRows = 39
    case transactionPayload = 40
    case heartbeatV2 = 41
    case gtidTagged = 42
    // MariaDB
    case annotateRows = 160
    case binlogCheckpoint = 161
    case mariadbGtid = 162
    case mariadbGtidList = 163
    case startEncryption = 164
    case queryCompressed = 165
    case writeRowsCompressedV1 = 166
    case updateRowsCompressedV1 = 167
    case deleteRowsCompressedV1 = 168
    case writeRowsCompressed = 169
    case updateRowsCompressed = 170
    case deleteRowsCompressed = 171

    /// The server's name for a type code (`WRITE_ROWS_EVENT_V1`), or `EVENT_TYPE_<n>` when unknown.
    package static func name(of code: UInt8) -> String {
        guard let t = EventType(rawValue: code) else { return "EVENT_TYPE_\(code)" }
        return t.serverName
    }

    package var serverName: String {
        switch self {
        case .unknown: return "UNKNOWN_EVENT"
        case .startV3: return "START_EVENT_V3"
        case .query: return "QUERY_EVENT"
        case .stop: return "STOP_EVENT"
        case .rotate: return "ROTATE_EVENT"
        case .intvar: return "INTVAR_EVENT"
        case .load: return "LOAD_EVENT"
        case .slave: return "SLAVE_EVENT"
        case .createFile: return "CREATE_FILE_EVENT"
        case .appendBlock: return "APPEND_BLOCK_EVENT"
        case .execLoad: return "EXEC_LOAD_EVENT"
        case .deleteFile: return "DELETE_FILE_EVENT"
        case .newLoad: return "NEW_LOAD_EVENT"
        case .rand: return "RAND_EVENT"
        case .userVar: return "USER_VAR_EVENT"
        case .formatDescription: return "FORMAT_DESCRIPTION_EVENT"
        case .xid: return "XID_EVENT"
        case .beginLoadQuery: return "BEGIN_LOAD_QUERY_EVENT"
        case .executeLoadQuery: return "EXECUTE_LOAD_QUERY_EVENT"
        case .tableMap: return "TABLE_MAP_EVENT"
        case .preGAWriteRows: return "PRE_GA_WRITE_ROWS_EVENT"
        case .preGAUpdateRows: return "PRE_GA_UPDATE_ROWS_EVENT"
        case .preGADeleteRows: return "PRE_GA_DELETE_ROWS_EVENT"
        case .writeRowsV1: return "WRITE_ROWS_EVENT_V1"
        case .updateRowsV1: return "UPDATE_ROWS_EVENT_V1"
        case .deleteRowsV1: return "DELETE_ROWS_EVENT_V1"
        case .incident: return "INCIDENT_EVENT"
        case .heartbeat: return "HEARTBEAT_LOG_EVENT"
        case .ignorable: return "IGNORABLE_LOG_EVENT"
        case .rowsQuery: return "ROWS_QUERY_LOG_EVENT"
        case .writeRowsV2: return "WRITE_ROWS_EVENT"
        case .updateRowsV2: return "UPDATE_ROWS_EVENT"
        case .deleteRowsV2: return "DELETE_ROWS_EVENT"
        case .gtid: return "GTID_LOG_EVENT"
        case .anonymousGtid: return "ANONYMOUS_GTID_LOG_EVENT"
        case .previousGtids: return "PREVIOUS_GTIDS_LOG_EVENT"
        case .transactionContext: return "TRANSACTION_CONTEXT_EVENT"
        case .viewChange: return "VIEW_CHANGE_EVENT"
        case .xaPrepare: return "XA_PREPARE_LOG_EVENT"
        case .partialUpdateRows: return "PARTIAL_UPDATE_ROWS_EVENT"
        case .transactionPayload: return "TRANSACTION_PAYLOAD_EVENT"
        case .heartbeatV2: return "HEARTBEAT_LOG_EVENT_V2"
        case .gtidTagged: return "GTID_TAGGED_LOG_EVENT"
        case .annotateRows: return "ANNOTATE_ROWS_EVENT"
        case .binlogCheckpoint: return "BINLOG_CHECKPOINT_EVENT"
        case .mariadbGtid: return "GTID_EVENT"
        case .mariadbGtidList: return "GTID_LIST_EVENT"
        case .startEncryption: return "START_ENCRYPTION_EVENT"
        case .queryCompressed: return "QUERY_COMPRESSED_EVENT"
        case .writeRowsCompressedV1: return "WRITE_ROWS_COMPRESSED_EVENT_V1"
        case .updateRowsCompressedV1: return "UPDATE_ROWS_COMPRESSED_EVENT_V1"
        case .deleteRowsCompressedV1: return "DELETE_ROWS_COMPRESSED_EVENT_V1"
        case .writeRowsCompressed: return "WRITE_ROWS_COMPRESSED_EVENT"
        case .updateRowsCompressed: return "UPDATE_ROWS_COMPRESSED_EVENT"
        case .deleteRowsCompressed: return "DELETE_ROWS_COMPRESSED_EVENT"
        }
    }
}
