/// How each present column of a row image is decoded, resolved once per rows event from the
/// TABLE_MAP's `ColumnDefinition`s: width, signedness, fractional digits, DECIMAL size and the text
/// charset are decided here, so the per-value loop reads plain scalars and touches no refcounted
/// field. Columns whose decoding needs more than that (JSON, ENUM/SET, BIT, GEOMETRY, old
/// temporal formats, FLOAT/DOUBLE) and columns with metadata the fast paths do not accept go
/// through `ColumnDefinition.decodeValue`, which also produces every metadata error.
struct RowImagePlan {
    struct Column {
        enum Kind: UInt8 {
            case int8, uint8, int16, uint16, int24, uint24, int32, uint32, int64, uint64
            case year, date, datetime2, timestamp2, time2, decimal, text, binaryChar, general
        }

        var kind: Kind
        /// `.text`: the charset its bytes decode in (`.other` when unknown: bytes).
        var charset: TextCharset
        /// `.text`: length-prefix bytes (1...4); temporal: fractional digits; `.decimal`: scale.
        var width: UInt8
        /// `.decimal`: precision.
        var precision: UInt8
        /// `.decimal`: storage bytes.
        var size: UInt8
        /// Table column index.
        var column: Int
        /// `.text`: the field name in a short-data error ("VARCHAR data", "CHAR data", "BLOB data").
        var label: StaticString = "data"
        /// `.binaryChar`: the declared length in bytes the value is padded to with 0x00.
        var padLength = 0

        init(_ c: ColumnDefinition, column: Int) {
            self.column = column
            charset = .other
            width = 0
            precision = 0
            size = 0
            kind = .general
            switch c.type {
            case .tiny: kind = c.unsigned ? .uint8 : .int8
            case .short: kind = c.unsigned ? .uint16 : .int16
            case .int24: kind = c.unsigned ? .uint24 : .int24
            case .long: kind = c.unsigned ? .uint32 : .int32
            case .longlong: kind = c.unsigned ? .uint64 : .int64
            case .year: kind = .year
            case .date, .newdate: kind = .date
            case .datetime2, .timestamp2, .time2:
                guard c.metadata <= 6 else { return }
                width = UInt8(c.metadata)
                kind = c.type == .datetime2 ? .datetime2 : c.type == .timestamp2 ? .timestamp2 : .time2
            case .newdecimal:
                let p = Int(c.metadata >> 8), s = Int(c.metadata & 0xFF)
                guard let n = PackedDecimal.size(precision: p, scale: s) else { return }
                size = UInt8(n)
                precision = UInt8(p)
                width = UInt8(s)
                kind = .decimal
            case .varchar, .varString:
                setText(c, prefix: c.metadata < 256 ? 1 : 2, "VARCHAR data")
            case .string:
                let m = StringMetadata(c.metadata)
                guard m.realType == ColumnType.string.rawValue else { return }
                setText(c, prefix: m.length < 256 ? 1 : 2, "CHAR data")
                if charset == .binary {
                    kind = .binaryChar
                    padLength = m.length
                }
            case .tinyBlob, .blob, .mediumBlob, .longBlob:
                guard c.metadata >= 1, c.metadata <= 4 else { return }
                setText(c, prefix: UInt8(c.metadata), "BLOB data")
            default:
                return
            }
        }

        private mutating func setText(_ c: ColumnDefinition, prefix: UInt8, _ what: StaticString) {
            kind = .text
            label = what
            width = prefix
            charset = c.collation.map(TextCharset.init(collation:)) ?? .other
        }
    }

    /// One entry per present column, in image order.
    let columns: [Column]

    init(_ table: [ColumnDefinition], present: [Int]) {
        columns = present.map { Column(table[$0], column: $0) }
    }

    /// Appends the values of one row image (NULL bitmap, then the non-NULL present values) to `out`.
    /// `diffs` (PARTIAL_UPDATE_ROWS) marks the table columns whose value is a JSON diff vector.
    @inline(__always)
    func decodeImage(_ r: inout ByteReader, _ definitions: UnsafeBufferPointer<ColumnDefinition>,
                     into out: inout [ColumnValue], table: TableMapEvent, diffs: [Bool],
                     converter: (any TextConverter)?) throws(FieldError) {
        let count = columns.count
        let nullAt = r.offset
        try r.skip((count + 7) / 8, "row NULL bitmap")
        try columns.withUnsafeBufferPointer { (plan: UnsafeBufferPointer<Column>) throws(FieldError) in
            for k in 0..<count {
                // In range: the bitmap's (count + 7) / 8 bytes were checked by `skip` above.
                if r.bytes[nullAt + (k >> 3)] & (1 << UInt8(k & 7)) != 0 {
                    out.append(.null)
                    continue
                }
                let p = plan[k]
                do throws(FieldError) {
                    if !diffs.isEmpty && diffs[p.column] {
                        out.append(.jsonDiff(try JSONDiffVector.decode(&r)))
                    } else {
                        out.append(try Self.value(p, &r, definitions, converter))
                    }
                } catch {
                    throw FieldError(
                        error.code,
                        "`\(table.schema)`.`\(table.table)` column \(p.column + 1) (\(table.columnLabel(p.column))): \(error.message)",
                        offset: error.offset)
                }
            }
        }
    }

    /// One non-NULL value; the same reads, checks and error texts as `ColumnDefinition.decodeValue`.
    @inline(__always)
    private static func value(_ p: Column, _ r: inout ByteReader,
                              _ definitions: UnsafeBufferPointer<ColumnDefinition>,
                              _ converter: (any TextConverter)?) throws(FieldError) -> ColumnValue {
        switch p.kind {
        case .int8: return .int(Int64(Int8(bitPattern: try r.readUInt8("TINYINT"))))
        case .uint8: return .uint(UInt64(try r.readUInt8("TINYINT")))
        case .int16: return .int(Int64(Int16(truncatingIfNeeded: try r.readUIntLE(2, "SMALLINT"))))
        case .uint16: return .uint(try r.readUIntLE(2, "SMALLINT"))
        case .int24:
            let v = UInt32(truncatingIfNeeded: try r.readUIntLE(3, "MEDIUMINT"))
            return .int(Int64(Int32(bitPattern: v << 8) >> 8))
        case .uint24: return .uint(try r.readUIntLE(3, "MEDIUMINT"))
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try r.readUIntLE(4, "INT"))))
        case .uint32: return .uint(try r.readUIntLE(4, "INT"))
        case .int64: return .int(Int64(bitPattern: try r.readUIntLE(8, "BIGINT")))
        case .uint64: return .uint(try r.readUIntLE(8, "BIGINT"))
        case .year:
            let v = Int(try r.readUInt8("YEAR"))
            return .year(v == 0 ? 0 : 1900 + v)
        case .date: return .date(try ColumnDefinition.decodeDate(&r))
        case .datetime2: return .datetime(try ColumnDefinition.decodeDateTime2(Int(p.width), &r))
        case .timestamp2: return .timestamp(try ColumnDefinition.decodeTimestamp2(Int(p.width), &r))
        case .time2: return .time(try ColumnDefinition.decodeTime2(Int(p.width), &r))
        case .decimal:
            return .decimal(try PackedDecimal.decode(precision: Int(p.precision), scale: Int(p.width), size: Int(p.size), from: &r))
        case .text:
            let n = Int(try r.readUIntLE(Int(p.width), "length prefix"))
            let start = r.offset
            try r.skip(n, p.label)
            return p.charset.value(r.bytes, start..<(start + n), converter: converter)
        case .binaryChar:
            return .bytes(BinaryChar.padded(try r.readSlice(Int(try r.readUIntLE(Int(p.width), "length prefix")), p.label), to: p.padLength))
        case .general:
            return try definitions[p.column].decodeValue(from: &r, converter: converter)
        }
    }
}
