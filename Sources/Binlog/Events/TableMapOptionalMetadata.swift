/// The optional metadata of TABLE_MAP (`binlog_row_metadata=MINIMAL|FULL`, MySQL 8.0.1+, MariaDB
/// 10.5+): fields of (type (1), packed length, value) to the end of the event.
///
/// | type | field | value |
/// |---|---|---|
/// | 1 | SIGNEDNESS | bitmap over numeric columns (see `isNumeric`), most significant bit first |
/// | 2 | DEFAULT_CHARSET | default collation, then (character column index, collation) pairs |
/// | 3 | COLUMN_CHARSET | one collation per character column |
/// | 4 | COLUMN_NAME | one length-prefixed name per column |
/// | 5 | SET_STR_VALUE | per SET column: member count, then length-prefixed members |
/// | 6 | ENUM_STR_VALUE | per ENUM column: same |
/// | 7 | GEOMETRY_TYPE | one geometry type per GEOMETRY column |
/// | 8 | SIMPLE_PRIMARY_KEY | primary key column indexes |
/// | 9 | PRIMARY_KEY_WITH_PREFIX | (column index, prefix length) pairs |
/// | 10 | ENUM_AND_SET_DEFAULT_CHARSET | like 2, over ENUM and SET columns |
/// | 11 | ENUM_AND_SET_COLUMN_CHARSET | like 3, over ENUM and SET columns |
/// | 12 | COLUMN_VISIBILITY | bitmap over all columns, most significant bit first |
/// All integers inside values are packed integers. Unknown field types are skipped by their length
/// and listed in `TableMapEvent.skippedMetadataTypes`.
enum TableMapOptionalMetadata {
    static func apply(from r: inout ByteReader, to e: inout TableMapEvent, flavour: ServerFlavour) throws(FieldError) {
        let numeric = e.columns.indices.filter { isNumeric(e.columns[$0], flavour: flavour) }
        let character = e.columns.indices.filter { isCharacter(e.columns[$0]) }
        let enums = e.columns.indices.filter { realType(e.columns[$0]) == .enumType }
        let sets = e.columns.indices.filter { realType(e.columns[$0]) == .set }
        let enumOrSet = e.columns.indices.filter { let t = realType(e.columns[$0]); return t == .enumType || t == .set }
        let geometry = e.columns.indices.filter { e.columns[$0].type == .geometry }

        while !r.isAtEnd {
            let typeAt = r.offset
            let type = try r.readUInt8("optional metadata type")
            let len = try r.readLengthEncodedInt("optional metadata length")
            guard len <= UInt64(r.remaining) else {
                throw FieldError(.short, "optional metadata \(type): expected \(len) bytes, had \(r.remaining)", offset: typeAt)
            }
            var f = ByteReader(r.bytes, offset: r.offset, end: r.offset + Int(len))
            switch type {
            case 1:
                let bits = try bitmap(&f, count: numeric.count, "SIGNEDNESS")
                for (k, i) in numeric.enumerated() { e.columns[i].unsigned = bits[k] }
            case 2, 10:
                let cols = type == 2 ? character : enumOrSet
                let def = UInt32(truncatingIfNeeded: try f.readLengthEncodedInt("default collation"))
                for i in cols { e.columns[i].collation = def }
                while !f.isAtEnd {
                    let at = f.offset
                    let k = try f.readLengthEncodedInt("charset column index")
                    let c = try f.readLengthEncodedInt("charset collation")
                    guard k < UInt64(cols.count) else {
                        throw FieldError(.outOfRange, "charset column index \(k) of \(cols.count)", offset: at)
                    }
                    e.columns[cols[Int(k)]].collation = UInt32(truncatingIfNeeded: c)
                }
            case 3, 11:
                let cols = type == 3 ? character : enumOrSet
                for i in cols {
                    e.columns[i].collation = UInt32(truncatingIfNeeded: try f.readLengthEncodedInt("column collation"))
                }
            case 4:
                for i in e.columns.indices {
                    let n = try f.readLengthEncodedInt("column name length")
                    guard n <= UInt64(f.remaining) else {
                        throw FieldError(.short, "column name: expected \(n) bytes, had \(f.remaining)", offset: f.offset)
                    }
                    e.columns[i].name = try f.readUTF8(Int(n), "column name")
                }
            case 5, 6:
                for i in (type == 5 ? sets : enums) {
                    let members = try strings(&f)
                    if type == 5 { e.columns[i].setValues = members } else { e.columns[i].enumValues = members }
                }
            case 7:
                for i in geometry {
                    e.columns[i].geometryType = UInt32(truncatingIfNeeded: try f.readLengthEncodedInt("geometry type"))
                }
            case 8, 9:
                var key: [TableMapEvent.KeyPart] = []
                while !f.isAtEnd {
                    let at = f.offset
                    let c = try f.readLengthEncodedInt("primary key column")
                    let prefix = type == 9 ? try f.readLengthEncodedInt("primary key prefix length") : 0
                    guard c < UInt64(e.columns.count), prefix <= UInt64(Int32.max) else {
                        throw FieldError(.outOfRange, "primary key column \(c) of \(e.columns.count)", offset: at)
                    }
                    key.append(TableMapEvent.KeyPart(column: Int(c), prefixLength: Int(prefix)))
                }
                e.primaryKey = key
            case 12:
                e.columnVisibility = try bitmap(&f, count: e.columns.count, "COLUMN_VISIBILITY")
            default:
                e.skippedMetadataTypes.append(type)
                try f.skip(f.remaining, "unknown optional metadata")
            }
            guard f.isAtEnd else {
                throw FieldError(.invalid, "optional metadata \(type): \(f.remaining) bytes left over", offset: f.offset)
            }
            try r.skip(Int(len), "optional metadata")
        }
    }

    /// The type a STRING column really has (ENUM and SET are logged as STRING with the real type in
    /// the metadata's first byte).
    static func realType(_ c: ColumnDefinition) -> ColumnType {
        guard c.type == .string else { return c.type }
        let b0 = UInt8(truncatingIfNeeded: c.metadata >> 8)
        if b0 & 0x30 != 0x30 { return .string }
        return ColumnType(rawValue: b0) ?? .string
    }

    /// The columns SIGNEDNESS has a bit for, which differ by server:
    /// - MySQL (`is_numeric_type` in `rpl_utility`/`log_event.cc`): TINYINT, SMALLINT, MEDIUMINT,
    ///   INT, BIGINT, DECIMAL, FLOAT, DOUBLE (by type code).
    /// - MariaDB 10.5+ (`Binlog_type_info::m_signedness`, set by every `Field_num`): the same plus
    ///   YEAR (`Field_year` is a `Field_tiny`) and the old DECIMAL (type 0, `Field_decimal`).
    ///   BIT, temporal and string types have no bit.
    static func isNumeric(_ c: ColumnDefinition, flavour: ServerFlavour) -> Bool {
        switch c.type {
        case .tiny, .short, .int24, .long, .longlong, .newdecimal, .float, .double: return true
        case .year, .decimal: return flavour == .mariadb
        default: return false
        }
    }

    /// Columns that carry a charset in DEFAULT_CHARSET/COLUMN_CHARSET; GEOMETRY counts (the server
    /// derives it from BLOB), JSON does not.
    static func isCharacter(_ c: ColumnDefinition) -> Bool {
        switch realType(c) {
        case .string, .varString, .varchar, .blob, .tinyBlob, .mediumBlob, .longBlob, .geometry: return true
        default: return false
        }
    }

    private static func bitmap(_ f: inout ByteReader, count: Int, _ what: StaticString) throws(FieldError) -> [Bool] {
        let bytes = try f.readSlice((count + 7) / 8, what)
        var out: [Bool] = []
        out.reserveCapacity(count)
        for k in 0..<count { out.append(bytes[bytes.startIndex + k / 8] & (0x80 >> UInt8(k % 8)) != 0) }
        return out
    }

    private static func strings(_ f: inout ByteReader) throws(FieldError) -> [String] {
        let at = f.offset
        let n = try f.readLengthEncodedInt("member count")
        guard n <= UInt64(f.remaining) else {
            throw FieldError(.outOfRange, "\(n) members cannot fit in \(f.remaining) bytes", offset: at)
        }
        var out: [String] = []
        out.reserveCapacity(Int(n))
        for _ in 0..<Int(n) {
            let l = try f.readLengthEncodedInt("member length")
            guard l <= UInt64(f.remaining) else {
                throw FieldError(.short, "member: expected \(l) bytes, had \(f.remaining)", offset: f.offset)
            }
            let raw = try f.readSlice(Int(l), "member")
            // Member names are in the column's charset; UTF-8 when valid, else byte-per-character (Latin-1).
            out.append(String(validating: raw, as: UTF8.self) ?? String(raw.map { Character(Unicode.Scalar($0)) }))
        }
        return out
    }
}
