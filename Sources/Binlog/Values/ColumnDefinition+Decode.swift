/// One non-NULL column value of a row image (NULLs are the row decoder's null bitmap).
///
/// Every type's size comes from its type code and TABLE_MAP metadata; a type whose size is not
/// known throws rather than guessing. On any error the reader is back where the value started.
extension ColumnDefinition {
    // Inlined into the row-image loop so the column's fields are read in place through the
    // caller's buffer pointer instead of copying the definition (and retaining its strings and
    // arrays) once per value.
    @inline(__always)
    package func decodeValue(from r: inout ByteReader, converter: (any TextConverter)? = nil) throws(FieldError)
        -> ColumnValue
    {
        let start = r.offset
        do throws(FieldError) {
            return try decodeValueUnrestored(&r, converter)
        } catch {
            try? r.seek(to: start)
            throw error
        }
    }

    @inline(__always)
    private func decodeValueUnrestored(_ r: inout ByteReader, _ converter: (any TextConverter)?) throws(FieldError)
        -> ColumnValue
    {
        switch type {
        case .tiny: return try integer(1, "TINYINT", &r)
        case .short: return try integer(2, "SMALLINT", &r)
        case .int24: return try integer(3, "MEDIUMINT", &r)
        case .long: return try integer(4, "INT", &r)
        case .longlong: return try integer(8, "BIGINT", &r)
        case .float: return try decodeFloat(&r)
        case .double: return try decodeDouble(&r)
        case .newdecimal:
            return .decimal(
                try PackedDecimal.decode(
                    precision: Int(metadata >> 8), scale: Int(metadata & 0xFF),
                    from: &r))
        case .decimal:
            throw FieldError(
                .unsupported,
                "old DECIMAL (type 0, MySQL before 5.0.3): the binlog does not carry its length",
                offset: r.offset)
        case .year:
            let v = Int(try r.readUInt8("YEAR"))
            return .year(v == 0 ? 0 : 1900 + v)
        case .date, .newdate:
            return .date(try Self.decodeDate(&r))
        case .time, .datetime, .timestamp:
            return try decodeOldTemporal(&r)
        case .time2:
            return .time(try Self.decodeTime2(try Self.checkFsp(metadata, type, offset: r.offset), &r))
        case .datetime2:
            return .datetime(try Self.decodeDateTime2(try Self.checkFsp(metadata, type, offset: r.offset), &r))
        case .timestamp2:
            return .timestamp(try Self.decodeTimestamp2(try Self.checkFsp(metadata, type, offset: r.offset), &r))
        case .varchar, .varString:
            let n = try readLength(metadata < 256 ? 1 : 2, &r)
            return text(try r.readSlice(n, "VARCHAR data"), converter)
        case .string:
            return try decodeString(StringMetadata(metadata), &r, converter)
        case .enumType, .set:
            // Only written this way by old servers; the metadata has the STRING layout.
            var m = StringMetadata(metadata)
            m.realType = type.rawValue
            return try decodeString(m, &r, converter)
        case .tinyBlob, .blob, .mediumBlob, .longBlob:
            let n = try readLength(try blobPrefix(r.offset), &r)
            return text(try r.readSlice(n, "BLOB data"), converter)
        case .geometry:
            let n = try readLength(try blobPrefix(r.offset), &r)
            return .geometry(try r.readBytes(n, "GEOMETRY data"))
        case .json:
            let n = try readLength(try blobPrefix(r.offset), &r)
            let docStart = r.offset
            try r.skip(n, "JSON data")
            return .json(try BinaryJSON.text(r.bytes, start: docStart, end: docStart + n))
        case .bit:
            return try decodeBit(&r)
        case .null:
            return .null
        case .vector:
            let n = try readLength(try blobPrefix(r.offset), &r)
            return .vector(try Self.decodeVector(try r.readSlice(n, "VECTOR data"), offset: r.offset - n))
        case .typedArray:
            throw FieldError(.unsupported, "column type \(type) (\(type.rawValue)) is not decoded", offset: r.offset)
        }
    }

    /// A signed or unsigned little-endian integer of `size` bytes (sign-extended when signed).
    @inline(__always)
    private func integer(_ size: Int, _ what: StaticString, _ r: inout ByteReader) throws(FieldError) -> ColumnValue {
        let v = try r.readUIntLE(size, what)
        if unsigned { return .uint(v) }
        let unused = UInt64(64 - 8 * size)
        return .int(Int64(bitPattern: v << unused) >> Int64(unused))
    }

    @inline(__always)
    private func decodeFloat(_ r: inout ByteReader) throws(FieldError) -> ColumnValue {
        try checkMetadata(4, "FLOAT size", r.offset)
        let v = Float(bitPattern: UInt32(truncatingIfNeeded: try r.readUIntLE(4, "FLOAT")))
        // MySQL and MariaDB cannot store NaN or infinity: such bytes are corrupt.
        guard v.isFinite else { throw FieldError(.invalid, "FLOAT is not finite", offset: r.offset - 4) }
        return .float(v)
    }

    @inline(__always)
    private func decodeDouble(_ r: inout ByteReader) throws(FieldError) -> ColumnValue {
        try checkMetadata(8, "DOUBLE size", r.offset)
        let v = Double(bitPattern: try r.readUIntLE(8, "DOUBLE"))
        guard v.isFinite else { throw FieldError(.invalid, "DOUBLE is not finite", offset: r.offset - 8) }
        return .double(v)
    }

    /// TIME, DATETIME, TIMESTAMP of the old types: metadata 0 is the classic format; 1...6 (set
    /// from the schema, never in the binlog) selects MariaDB's fractional format
    /// (MariaDBHiresTemporal.swift).
    @inline(__always)
    private func decodeOldTemporal(_ r: inout ByteReader) throws(FieldError) -> ColumnValue {
        let fsp = try Self.checkFsp(metadata, type, offset: r.offset)
        switch (type, fsp) {
        case (.time, 0): return .time(try Self.decodeOldTime(&r))
        case (.time, _): return .time(try Self.decodeHiresTime(fsp, &r))
        case (.datetime, 0): return .datetime(try Self.decodeOldDateTime(&r))
        case (.datetime, _): return .datetime(try Self.decodeHiresDateTime(fsp, &r))
        case (_, 0):
            return .timestamp(MySQLTimestamp(seconds: Int64(try r.readUIntLE(4, "TIMESTAMP")), microseconds: 0, fsp: 0))
        default: return .timestamp(try Self.decodeHiresTimestamp(fsp, &r))
        }
    }

    @inline(__always)
    private func decodeBit(_ r: inout ByteReader) throws(FieldError) -> ColumnValue {
        let bits = Int(metadata & 0xFF)
        let whole = Int(metadata >> 8)
        let n = whole + (bits > 0 ? 1 : 0)
        guard bits < 8, n >= 1, n <= 8 else {
            throw FieldError(.invalid, "BIT metadata \(whole) bytes + \(bits) bits (BIT(1..64))", offset: r.offset)
        }
        return .bit(try r.readUIntBE(n, "BIT"))
    }

    @inline(__always)
    private func checkMetadata(_ expected: UInt16, _ what: StaticString, _ offset: Int) throws(FieldError) {
        // Servers that omit the metadata write 0; any other value must be the type's size.
        guard metadata == expected || metadata == 0 else {
            throw FieldError(.invalid, "\(what): metadata \(metadata), expected \(expected)", offset: offset)
        }
    }

    @inline(__always)
    private func blobPrefix(_ offset: Int) throws(FieldError) -> Int {
        guard metadata >= 1, metadata <= 4 else {
            throw FieldError(.invalid, "\(type): length-prefix size \(metadata) in metadata (1...4)", offset: offset)
        }
        return Int(metadata)
    }

    @inline(__always)
    private func readLength(_ prefix: Int, _ r: inout ByteReader) throws(FieldError) -> Int {
        Int(try r.readUIntLE(prefix, "length prefix"))
    }

    /// Text when the collation's charset decodes these bytes exactly, else the bytes.
    @inline(__always)
    private func text(_ raw: ArraySlice<UInt8>, _ converter: (any TextConverter)?) -> ColumnValue {
        if let collation, let s = TextCharset(collation: collation).decode(raw, converter: converter) { return .string(s) }
        return .bytes(Array(raw))
    }

    private func decodeString(_ m: StringMetadata, _ r: inout ByteReader, _ converter: (any TextConverter)?) throws(FieldError)
        -> ColumnValue
    {
        switch m.realType {
        case ColumnType.string.rawValue:
            // CHAR: 1-byte length up to 255 bytes, else 2 (e.g. CHAR(255) in utf8mb4 is 1020 bytes).
            let n = try readLength(m.length < 256 ? 1 : 2, &r)
            if collation == BinaryChar.collation {
                return .bytes(BinaryChar.padded(try r.readSlice(n, "CHAR data"), to: m.length))
            }
            return text(try r.readSlice(n, "CHAR data"), converter)
        case ColumnType.enumType.rawValue:
            guard m.length == 1 || m.length == 2 else {
                throw FieldError(.invalid, "ENUM storage size \(m.length) (1 or 2)", offset: r.offset)
            }
            let index = Int(try r.readUIntLE(m.length, "ENUM"))
            return .enumValue(index: index, name: enumName(index))
        case ColumnType.set.rawValue:
            guard m.length >= 1, m.length <= 8 else {
                throw FieldError(.invalid, "SET storage size \(m.length) (1...8)", offset: r.offset)
            }
            let bits = try r.readUIntLE(m.length, "SET")
            return .set(bits: bits, names: setNames(bits))
        default:
            throw FieldError(.invalid, "STRING column with real type \(m.realType) in metadata", offset: r.offset)
        }
    }

    /// The member name, "" for the error value 0; nil when members are unknown or out of range.
    private func enumName(_ index: Int) -> String? {
        guard let enumValues else { return nil }
        if index == 0 { return "" }
        return index <= enumValues.count ? enumValues[index - 1] : nil
    }

    /// Member names in member order; nil when unknown or when a bit has no member.
    private func setNames(_ bits: UInt64) -> [String]? {
        guard let setValues, setValues.count >= 64 || bits >> UInt64(setValues.count) == 0 else { return nil }
        var names: [String] = []
        var b = bits
        var i = 0
        while b != 0 {
            if b & 1 != 0 { names.append(setValues[i]) }
            b >>= 1
            i += 1
        }
        return names
    }
}

extension ColumnDefinition {
    /// MySQL 9 VECTOR: a BLOB-like value (length prefix of the metadata's size) holding the
    /// elements as 4-byte little-endian IEEE floats; MySQL refuses NaN and infinity.
    static func decodeVector(_ bytes: ArraySlice<UInt8>, offset: Int) throws(FieldError) -> [Float] {
        guard bytes.count % 4 == 0 else {
            throw FieldError(.invalid, "VECTOR of \(bytes.count) bytes is not a whole number of 4-byte floats", offset: offset)
        }
        var out: [Float] = []
        out.reserveCapacity(bytes.count / 4)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            let v = Float(bitPattern: bits)
            guard v.isFinite else { throw FieldError(.invalid, "VECTOR element is not finite", offset: offset + i - bytes.startIndex) }
            out.append(v)
            i += 4
        }
        return out
    }
}

/// BINARY(n) (CHAR with the `binary` collation), and MariaDB's INET6 and UUID stored the same way:
/// the server strips trailing 0x00 bytes when it writes the row image (`Field_string::pack`
/// strips the charset's pad character, which is 0x00 for `binary`) and pads them back when it
/// reads, so the value is the logged bytes padded with 0x00 to the declared length.
enum BinaryChar {
    static let collation: UInt32 = 63

    static func padded(_ bytes: ArraySlice<UInt8>, to length: Int) -> [UInt8] {
        var out = Array(bytes)
        if out.count < length { out.append(contentsOf: repeatElement(0, count: length - out.count)) }
        return out
    }
}
