/// TABLE_MAP's per-column metadata block (`m_field_metadata`), one entry per column, in column order.
///
/// The block has no per-entry lengths: each type's entry size is implied by the type, so an unknown
/// type makes the rest of the block unreadable and throws. Sizes and byte orders (MySQL
/// `rpl_utility.cc` `table_def`, identical in MariaDB):
///
/// | types | bytes | meaning of the returned `UInt16` |
/// |---|---|---|
/// | FLOAT, DOUBLE | 1 | storage size (4 or 8) |
/// | BLOB (and TINY/MEDIUM/LONG_BLOB), GEOMETRY, JSON, VECTOR (MySQL 9) | 1 | length-prefix size (1...4) |
/// | TIME2, DATETIME2, TIMESTAMP2 | 1 | fractional digits (0...6) |
/// | VARCHAR, VAR_STRING | 2, little-endian | maximum length in bytes |
/// | BIT | 2: bits then bytes | `bytes << 8 \| bits` (BIT(M): M/8 whole bytes, M%8 bits) |
/// | NEWDECIMAL | 2: precision then scale | `precision << 8 \| scale` |
/// | STRING, ENUM, SET | 2: real type then length | `byte0 << 8 \| byte1` (see `StringMetadata`) |
/// | all others (integers, YEAR, DATE, old TIME/DATETIME/TIMESTAMP, NULL, old DECIMAL) | 0 | 0 |
///
/// Old TIME/DATETIME/TIMESTAMP have no metadata in the binlog; a caller that knows from the schema
/// that such a column is MariaDB's fractional format sets its fractional digits (1...6) in
/// `metadata` afterwards (see MariaDBHiresTemporal.swift).
extension ColumnDefinition {
    package static func parseMetadata(types: [ColumnType], from r: inout ByteReader) throws(FieldError) -> [UInt16] {
        let start = r.offset
        var out: [UInt16] = []
        out.reserveCapacity(types.count)
        do throws(FieldError) {
            for type in types {
                switch type {
                case .float, .double, .tinyBlob, .blob, .mediumBlob, .longBlob, .geometry, .json, .vector,
                    .time2, .datetime2, .timestamp2:
                    out.append(UInt16(try r.readUInt8("column metadata (1 byte)")))
                case .varchar, .varString, .bit:
                    out.append(try r.readUInt16LE("column metadata (2 bytes, little-endian)"))
                case .newdecimal, .string, .enumType, .set:
                    out.append(UInt16(truncatingIfNeeded: try r.readUIntBE(2, "column metadata (2 bytes)")))
                case .decimal, .tiny, .short, .long, .null, .timestamp, .longlong, .int24, .date, .time,
                    .datetime, .year, .newdate:
                    out.append(0)
                case .typedArray:
                    throw FieldError(
                        .unsupported,
                        "column type \(type) (\(type.rawValue)) in TABLE_MAP: its metadata size is unknown",
                        offset: r.offset)
                }
            }
        } catch {
            try? r.seek(to: start)
            throw error
        }
        return out
    }
}

/// The two metadata bytes of a STRING column: the real type (STRING, ENUM or SET) and a length.
///
/// For CHAR columns longer than 255 bytes MySQL folds bits 8 and 9 of the length into bits 4 and 5
/// of the real-type byte, inverted (`real_type ^ ((length & 0x300) >> 4)`); the real type bytes
/// all have both bits set, so a byte without them carries length bits.
struct StringMetadata: Equatable {
    /// `ColumnType.string`, `.enumType` or `.set` (or another code when the metadata is corrupt).
    var realType: UInt8
    /// For CHAR: the maximum length in bytes. For ENUM: 1 or 2; for SET: 1...8 (storage bytes).
    var length: Int

    init(_ meta: UInt16) {
        let b0 = UInt8(truncatingIfNeeded: meta >> 8)
        let b1 = Int(meta & 0xFF)
        if b0 & 0x30 != 0x30 {
            realType = b0 | 0x30
            length = b1 | (Int((b0 & 0x30) ^ 0x30) << 4)
        } else {
            realType = b0
            length = b1
        }
    }
}
