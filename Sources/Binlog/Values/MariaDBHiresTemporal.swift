/// MariaDB's own fractional TIME/DATETIME/TIMESTAMP format (MariaDB 5.3-10.0, and later tables
/// created with `mysql56_temporal_format=OFF`; `sql/field.cc` `Field_*_hires`).
///
/// The binlog logs these columns as the old TIME (11), DATETIME (12) and TIMESTAMP (7) types with
/// no metadata, so their width, which depends on the declared fractional digits, is not in the
/// binlog: MariaDB's own `mariadb-binlog` cannot decode them either. A caller that knows a column's
/// fractional digits from the schema puts them in `ColumnDefinition.metadata` (1...6); metadata 0
/// means the classic formats. All integers are big-endian; `shift` is `10^(6 - fsp)`:
/// - TIMESTAMP: 4 bytes seconds, then `(fsp + 1) / 2` bytes of `microseconds / shift`.
/// - DATETIME: 5, 6, 6, 7, 7, 7, 8 bytes (fsp 0...6) of
///   `((((((year * 13 + month) * 32 + day) * 24 + hour) * 60 + minute) * 60 + second) * 1e6 + µs) / shift`.
/// - TIME: 3, 4, 4, 5, 5, 5, 6 bytes of `signed (seconds * 1e6 + µs) / shift + 3020400 * 1e6 / shift`.
extension ColumnDefinition {
    private static func hiresShift(_ fsp: Int) -> Int64 {
        var s: Int64 = 1
        for _ in fsp..<6 { s *= 10 }
        return s
    }

    static func decodeHiresTimestamp(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLTimestamp {
        let raw = try r.readUIntBE(4 + fractionBytes(fsp), "TIMESTAMP (MariaDB fractional)")
        let fracBits = UInt64(8 * fractionBytes(fsp))
        let frac = Int64(raw & ((1 << fracBits) - 1)) * hiresShift(fsp)
        guard frac < 1_000_000 else {
            r = ByteReader(r.bytes, offset: r.offset - 4 - fractionBytes(fsp), end: r.end)
            throw FieldError(
                .invalid, "TIMESTAMP (MariaDB fractional): fraction \(frac) out of range", offset: r.offset)
        }
        return MySQLTimestamp(seconds: Int64(raw >> fracBits), microseconds: Int(frac), fsp: fsp)
    }

    static func decodeHiresDateTime(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLDateTime {
        let widths = [5, 6, 6, 7, 7, 7, 8]
        let raw = try r.readUIntBE(widths[fsp], "DATETIME (MariaDB fractional)")
        // At most 8 bytes of a value below 10000 * 13 * 32 * 86400 * 1e6: the product fits in UInt64.
        let packed = raw.multipliedReportingOverflow(by: UInt64(hiresShift(fsp)))
        let v = packed.partialValue
        var rest = v / 1_000_000
        let second = Int(rest % 60)
        rest /= 60
        let minute = Int(rest % 60)
        rest /= 60
        let hour = Int(rest % 24)
        rest /= 24
        let day = Int(rest % 32)
        rest /= 32
        let month = Int(rest % 13)
        rest /= 13
        guard !packed.overflow, rest <= 9999 else {
            r = ByteReader(r.bytes, offset: r.offset - widths[fsp], end: r.end)
            throw FieldError(.invalid, "DATETIME (MariaDB fractional): year out of range", offset: r.offset)
        }
        return MySQLDateTime(
            year: Int(rest), month: month, day: day, hour: hour, minute: minute, second: second,
            microseconds: Int(v % 1_000_000), fsp: fsp)
    }

    static func decodeHiresTime(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLTime {
        let widths = [3, 4, 4, 5, 5, 5, 6]
        let shift = hiresShift(fsp)
        let raw = Int64(try r.readUIntBE(widths[fsp], "TIME (MariaDB fractional)"))
        let zero = 3_020_400 * 1_000_000 / shift
        let micros = (raw - zero) * shift
        let a = micros.magnitude
        let secs = a / 1_000_000
        return MySQLTime(
            negative: micros < 0, hours: Int(secs / 3600), minutes: Int(secs / 60 % 60),
            seconds: Int(secs % 60), microseconds: Int(a % 1_000_000), fsp: fsp)
    }
}
