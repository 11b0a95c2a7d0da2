/// TABLE_MAP_EVENT (19): binds a table id to a table's name and column layout for the row events
/// that follow. Post-header: table id (6 bytes; 4 when the post-header is 6 bytes), flags (2).
/// Body: schema (length byte, name, NUL), table (same), column count (packed), one type byte per
/// column, metadata block (packed length, then per-type metadata), NULL-able bitmap, then the
/// optional metadata fields of `binlog_row_metadata` (see `TableMapOptionalMetadata`).
package struct TableMapEvent: Sendable, Equatable {
    /// A primary key column: its index and, for a prefix index, the prefix length in characters
    /// (0 = whole column).
    package struct KeyPart: Sendable, Equatable, Hashable {
        package var column: Int
        package var prefixLength: Int
        package init(column: Int, prefixLength: Int = 0) {
            self.column = column
            self.prefixLength = prefixLength
        }
    }

    package var tableID: UInt64
    package var flags: UInt16
    package var schema: String
    package var table: String
    package var columns: [ColumnDefinition]
    /// From SIMPLE_PRIMARY_KEY or PRIMARY_KEY_WITH_PREFIX; empty when not sent (or no key).
    package var primaryKey: [KeyPart]
    /// From COLUMN_VISIBILITY (MySQL 8.0.23+ invisible columns); nil when not sent.
    package var columnVisibility: [Bool]?
    /// Optional metadata field types that were present but not known to this decoder (skipped by length).
    package var skippedMetadataTypes: [UInt8]

    package init(tableID: UInt64, flags: UInt16 = 0, schema: String, table: String, columns: [ColumnDefinition],
                primaryKey: [KeyPart] = [], columnVisibility: [Bool]? = nil, skippedMetadataTypes: [UInt8] = []) {
        self.tableID = tableID
        self.flags = flags
        self.schema = schema
        self.table = table
        self.columns = columns
        self.primaryKey = primaryKey
        self.columnVisibility = columnVisibility
        self.skippedMetadataTypes = skippedMetadataTypes
    }

    /// Column name, or `@n` (1-based) when names were not sent.
    package func columnLabel(_ i: Int) -> String {
        if i >= 0, i < columns.count, let n = columns[i].name { return n }
        return "@\(i + 1)"
    }

    static func readTableID(_ r: inout ByteReader, postHeaderLength: Int) throws(FieldError) -> UInt64 {
        postHeaderLength == 6 ? UInt64(try r.readUInt32LE("table id")) : try r.readUInt48LE("table id")
    }

    static func decode(body r: inout ByteReader, postHeaderLength: Int, flavour: ServerFlavour) throws(FieldError)
        -> TableMapEvent
    {
        let tableID = try readTableID(&r, postHeaderLength: postHeaderLength)
        let flags = try r.readUInt16LE("table map flags")
        if postHeaderLength > 8 { try r.skip(postHeaderLength - 8, "table map post-header") }
        let schemaLen = Int(try r.readUInt8("schema length"))
        let schema = Event.displayText(try r.readBytes(schemaLen, "schema name"))
        try r.skip(1, "schema NUL")
        let tableLen = Int(try r.readUInt8("table length"))
        let table = Event.displayText(try r.readBytes(tableLen, "table name"))
        try r.skip(1, "table NUL")
        let countAt = r.offset
        let count = try r.readLengthEncodedInt("column count")
        guard count <= UInt64(r.remaining) else {
            throw FieldError(.outOfRange, "\(count) columns cannot fit in \(r.remaining) bytes", offset: countAt)
        }
        var types: [ColumnType] = []
        types.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            let at = r.offset
            let code = try r.readUInt8("column type")
            guard let t = ColumnType(rawValue: code) else {
                throw FieldError(.invalid, "unknown column type \(code)", offset: at)
            }
            types.append(t)
        }
        let metaAt = r.offset
        let metaLen = try r.readLengthEncodedInt("metadata block length")
        guard metaLen <= UInt64(r.remaining) else {
            throw FieldError(.short, "metadata block: expected \(metaLen) bytes, had \(r.remaining)", offset: metaAt)
        }
        var mr = ByteReader(r.bytes, offset: r.offset, end: r.offset + Int(metaLen))
        let metadata = try ColumnDefinition.parseMetadata(types: types, from: &mr)
        guard mr.isAtEnd, metadata.count == types.count else {
            throw FieldError(.invalid, "metadata block has \(mr.remaining) bytes left after \(types.count) columns", offset: mr.offset)
        }
        try r.skip(Int(metaLen), "metadata block")
        let nullBits = try r.readSlice((types.count + 7) / 8, "NULL-able bitmap")
        var columns: [ColumnDefinition] = []
        columns.reserveCapacity(types.count)
        for i in 0..<types.count {
            let nullable = nullBits[nullBits.startIndex + i / 8] & (1 << UInt8(i % 8)) != 0
            columns.append(ColumnDefinition(type: types[i], metadata: metadata[i], nullable: nullable))
        }
        var event = TableMapEvent(tableID: tableID, flags: flags, schema: schema, table: table, columns: columns)
        try TableMapOptionalMetadata.apply(from: &r, to: &event, flavour: flavour)
        return event
    }
}
