/// WRITE/UPDATE/DELETE_ROWS events: v1 (23-25, MariaDB 10.x writes these), v2 (30-32, MySQL 5.6+),
/// MySQL PARTIAL_UPDATE_ROWS (39) and MariaDB's compressed row events (166-171).
///
/// Post-header: table id (6; 4 when the post-header is 6 bytes), flags (2); v2 adds the extra-data
/// length (2, counting itself) and extra data. Body: column count (packed), columns-present bitmap,
/// for updates a second bitmap for the after image, then rows to the end. A row image is a NULL
/// bitmap over the present columns followed by the values of the present, non-NULL columns.
/// Values are stored flat (`rowCount * columns.count`), one allocation per event, not per row.
package struct RowsEvent: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        case write, update, delete
    }

    package var kind: Kind
    /// The raw event type (v1, v2, partial or compressed variant).
    package var typeCode: UInt8
    package var tableID: UInt64
    package var flags: UInt16
    /// v2 extra data (after its 2-byte length), nil for v1.
    package var extraData: [UInt8]?
    package var columnCount: Int
    /// Columns present in the before image (delete, update), in column order.
    package var beforeColumns: [Int]
    /// Columns present in the after image (write, update).
    package var afterColumns: [Int]
    package var rowCount: Int
    /// `rowCount * beforeColumns.count` values, row after row.
    package var before: [ColumnValue]
    /// `rowCount * afterColumns.count` values, row after row.
    package var after: [ColumnValue]

    /// STMT_END_F: last row event of the statement.
    package var isStatementEnd: Bool { flags & 1 != 0 }

    package func beforeRow(_ i: Int) -> ArraySlice<ColumnValue> {
        before[(i * beforeColumns.count)..<((i + 1) * beforeColumns.count)]
    }

    package func afterRow(_ i: Int) -> ArraySlice<ColumnValue> {
        after[(i * afterColumns.count)..<((i + 1) * afterColumns.count)]
    }

    static func kind(of code: UInt8) -> Kind? {
        switch code {
        case 23, 30, 166, 169: return .write
        case 24, 31, 39, 167, 170: return .update
        case 25, 32, 168, 171: return .delete
        default: return nil
        }
    }

    static func hasExtraData(_ code: UInt8) -> Bool { (30...32).contains(code) || code == 39 || (169...171).contains(code) }

    /// Decodes the event; `tables` resolves the table id, `inflate` is given for compressed variants,
    /// `converter` turns text in multi-byte CJK charsets into strings.
    static func decode(body r: inout ByteReader, typeCode: UInt8, postHeaderLength: Int,
                       tables: [UInt64: TableMapEvent],
                       inflate: ((ArraySlice<UInt8>) throws(FieldError) -> [UInt8])?,
                       converter: (any TextConverter)? = nil) throws(FieldError) -> RowsEvent {
        guard let kind = kind(of: typeCode) else {
            throw FieldError(.invalid, "event type \(typeCode) is not a rows event", offset: r.offset)
        }
        let tableID = try TableMapEvent.readTableID(&r, postHeaderLength: postHeaderLength)
        let flags = try r.readUInt16LE("rows flags")
        var extra: [UInt8]?
        if hasExtraData(typeCode) {
            let at = r.offset
            let len = Int(try r.readUInt16LE("extra data length"))
            guard len >= 2 else { throw FieldError(.invalid, "extra data length \(len) < 2", offset: at) }
            extra = try r.readBytes(len - 2, "extra data")
        }
        let countAt = r.offset
        let count = try r.readLengthEncodedInt("column count")
        guard count <= UInt64(r.remaining) * 8 else {
            throw FieldError(.outOfRange, "\(count) columns cannot fit in \(r.remaining) bytes", offset: countAt)
        }
        let width = Int(count)
        let first = try presentColumns(&r, width)
        let second = kind == .update ? try presentColumns(&r, width) : first
        var event = RowsEvent(kind: kind, typeCode: typeCode, tableID: tableID, flags: flags, extraData: extra,
                              columnCount: width, beforeColumns: kind == .write ? [] : first,
                              afterColumns: kind == .delete ? [] : second, rowCount: 0, before: [], after: [])
        guard !r.isAtEnd else { return event }
        guard let table = tables[tableID] else {
            throw FieldError(.invalid, "rows for table id \(tableID), which no TABLE_MAP announced", offset: countAt)
        }
        guard table.columns.count == width else {
            throw FieldError(.invalid, "rows have \(width) columns, TABLE_MAP of `\(table.schema)`.`\(table.table)` has \(table.columns.count)",
                             offset: countAt)
        }
        if let inflate {
            let data = try inflate(try r.readSlice(r.remaining, "compressed rows"))
            var ir = ByteReader(data)
            try event.decodeRows(&ir, table: table, partial: typeCode == 39, converter: converter)
        } else {
            try event.decodeRows(&r, table: table, partial: typeCode == 39, converter: converter)
        }
        return event
    }

    private static func presentColumns(_ r: inout ByteReader, _ width: Int) throws(FieldError) -> [Int] {
        let bits = try r.readSlice((width + 7) / 8, "columns-present bitmap")
        var out: [Int] = []
        out.reserveCapacity(width)
        var i = 0
        for byte in bits {
            var b = byte
            var k = 0
            while k < 8 && i + k < width {
                if b & 1 != 0 { out.append(i + k) }
                b >>= 1
                k += 1
            }
            i += 8
        }
        return out
    }

    private mutating func decodeRows(_ r: inout ByteReader, table: TableMapEvent, partial: Bool,
                                     converter: (any TextConverter)?) throws(FieldError) {
        let jsonColumns = partial ? table.columns.indices.filter { table.columns[$0].type == .json } : []
        let beforePlan = RowImagePlan(table.columns, present: kind == .write ? [] : beforeColumns)
        let afterPlan = RowImagePlan(table.columns, present: kind == .delete ? [] : afterColumns)
        let first = r.offset
        try table.columns.withUnsafeBufferPointer { (defs: UnsafeBufferPointer<ColumnDefinition>) throws(FieldError) in
            while !r.isAtEnd {
                let rowStart = r.offset
                if kind != .write {
                    try beforePlan.decodeImage(&r, defs, into: &before, table: table, diffs: [], converter: converter)
                }
                if kind != .delete {
                    let diffs = partial ? try Self.partialOptions(&r, columnCount: table.columns.count, jsonColumns) : []
                    try afterPlan.decodeImage(&r, defs, into: &after, table: table, diffs: diffs, converter: converter)
                }
                guard r.offset > rowStart else {
                    throw FieldError(.invalid, "row images with no columns present cannot hold a row", offset: rowStart)
                }
                rowCount += 1
                if rowCount == 1 { reserveRows(bytesPerRow: r.offset - first, remaining: r.remaining) }
            }
        }
    }

    /// After the first row: room for as many more rows of the same size as the rest of the event
    /// holds, so the value arrays grow once instead of doubling (bounded by the event's size).
    private mutating func reserveRows(bytesPerRow: Int, remaining: Int) {
        let rows = 1 + remaining / max(bytesPerRow, 1)
        if !beforeColumns.isEmpty && kind != .write { before.reserveCapacity(rows * beforeColumns.count) }
        if !afterColumns.isEmpty && kind != .delete { after.reserveCapacity(rows * afterColumns.count) }
    }

    /// PARTIAL_UPDATE_ROWS shared image, before the after image (MySQL rpl_record.h): value options
    /// (packed; only bit 1, PARTIAL_JSON_UPDATES, is defined), then with that bit `partial_bits`:
    /// one bit per JSON column of the table (present in the images or not), low bit first, set when
    /// the after image holds that column as a JSON diff vector. Returns, per table column, whether
    /// its after value is a diff (empty when none is).
    private static func partialOptions(_ r: inout ByteReader, columnCount: Int, _ jsonColumns: [Int]) throws(FieldError) -> [Bool] {
        let at = r.offset
        let options = try r.readLengthEncodedInt("partial update value options")
        guard options & ~1 == 0 else {
            throw FieldError(.invalid, "partial update value options \(options): only bit 1 (PARTIAL_JSON_UPDATES) is defined", offset: at)
        }
        guard options & 1 != 0 else { return [] }
        let bits = try r.readSlice((jsonColumns.count + 7) / 8, "partial JSON bitmap")
        guard bits.contains(where: { $0 != 0 }) else { return [] }
        var diffs = [Bool](repeating: false, count: columnCount)
        for (k, c) in jsonColumns.enumerated() where bits[bits.startIndex + (k >> 3)] & (1 << UInt8(k & 7)) != 0 {
            diffs[c] = true
        }
        return diffs
    }
}
