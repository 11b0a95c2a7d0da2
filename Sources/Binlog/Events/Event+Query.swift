/// QUERY_EVENT (2): a statement (DDL, BEGIN, COMMIT, statement-based DML).
/// Post-header (13 bytes): thread id (4), execution time (4), schema length (1), error code (2),
/// status variables length (2). Body: status variables, schema name and NUL, SQL to the end.
/// MariaDB's QUERY_COMPRESSED_EVENT (165) has the same layout with the SQL compressed.
package struct QueryEvent: Sendable, Equatable {
    package var threadID: UInt32
    package var executionTime: UInt32
    package var errorCode: UInt16
    package var schema: String
    package var status: QueryStatusVariables
    /// The statement, in the connection's `character_set_client` (see `status.charset`).
    package var sql: [UInt8]

    /// The statement as text (UTF-8; bytes that are not UTF-8 show as U+FFFD).
    package var sqlText: String { Event.displayText(sql) }

    static func decode(body r: inout ByteReader, postHeaderLength: Int,
                       inflate: ((ArraySlice<UInt8>) throws(FieldError) -> [UInt8])?) throws(FieldError) -> QueryEvent {
        let thread = try r.readUInt32LE("thread id")
        let exec = try r.readUInt32LE("execution time")
        let schemaLength = Int(try r.readUInt8("schema length"))
        let err = try r.readUInt16LE("error code")
        var statusLength = 0
        if postHeaderLength >= 13 {
            statusLength = Int(try r.readUInt16LE("status variables length"))
            try r.skip(postHeaderLength - 13, "query post-header")
        }
        guard statusLength <= r.remaining else {
            throw FieldError(.short, "status variables: expected \(statusLength) bytes, had \(r.remaining)", offset: r.offset)
        }
        var sr = ByteReader(r.bytes, offset: r.offset, end: r.offset + statusLength)
        let status = try QueryStatusVariables.decode(from: &sr)
        try r.skip(statusLength, "status variables")
        let schema = Event.displayText(try r.readBytes(schemaLength, "schema name"))
        let nul = try r.readUInt8("schema NUL")
        guard nul == 0 else { throw FieldError(.invalid, "schema name not NUL terminated", offset: r.offset - 1) }
        let rest = try r.readSlice(r.remaining, "sql")
        let sql = try inflate.map { (f) throws(FieldError) in try f(rest) } ?? Array(rest)
        return QueryEvent(threadID: thread, executionTime: exec, errorCode: err, schema: schema, status: status, sql: sql)
    }
}

/// The status variables of a QUERY_EVENT that the decoder knows (MySQL 5.0-8.x, MariaDB 10.x).
/// An unknown code ends the parse (its length is unknowable); its bytes are kept in `unparsed`.
package struct QueryStatusVariables: Sendable, Equatable {
    /// Q_CHARSET_CODE: character_set_client, collation_connection, collation_server.
    package struct Charset: Sendable, Equatable {
        package var client: UInt16
        package var connection: UInt16
        package var server: UInt16
    }

    package var flags2: UInt32?
    package var sqlMode: UInt64?
    package var catalog: String?
    package var autoIncrementIncrement: UInt16?
    package var autoIncrementOffset: UInt16?
    package var charset: Charset?
    package var timeZone: String?
    package var lcTimeNames: UInt16?
    package var charsetDatabase: UInt16?
    package var tableMapForUpdate: UInt64?
    package var invoker: String?
    package var updatedDatabases: [String]?
    package var microseconds: UInt32?
    package var explicitDefaultsForTimestamp: UInt8?
    package var ddlXid: UInt64?
    package var defaultCollationForUTF8MB4: UInt16?
    package var sqlRequirePrimaryKey: UInt8?
    package var defaultTableEncryption: UInt8?
    /// MariaDB Q_HRNOW: microseconds part of the statement time.
    package var hrnow: UInt32?
    /// MariaDB Q_XID: XID of a DDL statement.
    package var xid: UInt64?
    /// Bytes from the first unknown status variable code to the end of the block.
    package var unparsed: [UInt8] = []

    static func decode(from r: inout ByteReader) throws(FieldError) -> QueryStatusVariables {
        var v = QueryStatusVariables()
        while !r.isAtEnd {
            let code = try r.readUInt8("status variable code")
            switch code {
            case 0: v.flags2 = try r.readUInt32LE("Q_FLAGS2_CODE")
            case 1: v.sqlMode = try r.readUInt64LE("Q_SQL_MODE_CODE")
            case 2:
                let n = Int(try r.readUInt8("Q_CATALOG_CODE length"))
                v.catalog = Event.displayText(try r.readBytes(n, "Q_CATALOG_CODE"))
                try r.skip(1, "Q_CATALOG_CODE NUL")
            case 3:
                v.autoIncrementIncrement = try r.readUInt16LE("Q_AUTO_INCREMENT increment")
                v.autoIncrementOffset = try r.readUInt16LE("Q_AUTO_INCREMENT offset")
            case 4:
                v.charset = Charset(client: try r.readUInt16LE("Q_CHARSET_CODE client"),
                                    connection: try r.readUInt16LE("Q_CHARSET_CODE connection"),
                                    server: try r.readUInt16LE("Q_CHARSET_CODE server"))
            case 5:
                let n = Int(try r.readUInt8("Q_TIME_ZONE_CODE length"))
                v.timeZone = Event.displayText(try r.readBytes(n, "Q_TIME_ZONE_CODE"))
            case 6:
                let n = Int(try r.readUInt8("Q_CATALOG_NZ_CODE length"))
                v.catalog = Event.displayText(try r.readBytes(n, "Q_CATALOG_NZ_CODE"))
            case 7: v.lcTimeNames = try r.readUInt16LE("Q_LC_TIME_NAMES_CODE")
            case 8: v.charsetDatabase = try r.readUInt16LE("Q_CHARSET_DATABASE_CODE")
            case 9: v.tableMapForUpdate = try r.readUInt64LE("Q_TABLE_MAP_FOR_UPDATE_CODE")
            case 10: try r.skip(4, "Q_MASTER_DATA_WRITTEN_CODE")
            case 11:
                let u = Int(try r.readUInt8("Q_INVOKER user length"))
                let user = Event.displayText(try r.readBytes(u, "Q_INVOKER user"))
                let h = Int(try r.readUInt8("Q_INVOKER host length"))
                let host = Event.displayText(try r.readBytes(h, "Q_INVOKER host"))
                v.invoker = "\(user)@\(host)"
            case 12:
                let n = Int(try r.readUInt8("Q_UPDATED_DB_NAMES count"))
                var names: [String] = []
                if n != 254 {  // OVER_MAX_DBS_IN_EVENT_MTS: no names follow
                    for _ in 0..<n { names.append(Event.displayText(try r.readNullTerminated("Q_UPDATED_DB_NAMES"))) }
                }
                v.updatedDatabases = names
            case 13: v.microseconds = try r.readUInt24LE("Q_MICROSECONDS")
            case 16: v.explicitDefaultsForTimestamp = try r.readUInt8("Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP")
            case 17: v.ddlXid = try r.readUInt64LE("Q_DDL_LOGGED_WITH_XID")
            case 18: v.defaultCollationForUTF8MB4 = try r.readUInt16LE("Q_DEFAULT_COLLATION_FOR_UTF8MB4")
            case 19: v.sqlRequirePrimaryKey = try r.readUInt8("Q_SQL_REQUIRE_PRIMARY_KEY")
            case 20: v.defaultTableEncryption = try r.readUInt8("Q_DEFAULT_TABLE_ENCRYPTION")
            case 128: v.hrnow = try r.readUInt24LE("Q_HRNOW")
            case 129: v.xid = try r.readUInt64LE("Q_XID")
            default:
                try r.seek(to: r.offset - 1)
                v.unparsed = r.readRest()
            }
        }
        return v
    }
}
