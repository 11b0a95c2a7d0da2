/// Row-image formats of the date and time types.
///
/// Old formats (MySQL before 5.6.4, MariaDB with `mysql56_temporal_format=OFF`), little-endian:
/// DATE/NEWDATE 3 bytes `day | month << 5 | year << 9`; TIME 3 bytes signed `HHMMSS` as a decimal
/// number; DATETIME 8 bytes `YYYYMMDDHHMMSS`; TIMESTAMP 4 bytes seconds since the epoch.
///
/// Fractional formats (MySQL 5.6.4+ `my_time.cc`, the same in MariaDB), big-endian, followed by
/// `(fsp + 1) / 2` fraction bytes (fsp 1-2: hundredths, 3-4: ten-thousandths, 5-6: microseconds):
/// TIMESTAMP2 4 bytes seconds; DATETIME2 5 bytes `0x8000000000 +` (sign 1, year*13+month 17,
/// day 5, hour 5, minute 6, second 6 bits); TIME2 3 bytes `0x800000 +` (sign 1, unused 1, hour 10,
/// minute 6, second 6 bits). A negative TIME2 with a fraction stores the whole packed value
/// (integer part and fraction) in two's complement, so its fraction reads "reversed".
extension ColumnDefinition {
    static func fractionBytes(_ fsp: Int) -> Int { (fsp + 1) / 2 }

    @inline(__always)
    static func checkFsp(_ meta: UInt16, _ type: ColumnType, offset: Int) throws(FieldError) -> Int {
        guard meta <= 6 else {
            throw FieldError(.invalid, "\(type): fractional digits \(meta) in metadata (0...6)", offset: offset)
        }
        return Int(meta)
    }

    /// Unsigned fraction of TIMESTAMP2/DATETIME2 in microseconds.
    @inline(__always)
    static func readFraction(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> Int {
        let start = r.offset
        let n = fractionBytes(fsp)
        guard n > 0 else { return 0 }
        let raw = Int(try r.readUIntBE(n, "fractional seconds"))
        let micros = n == 1 ? raw * 10_000 : n == 2 ? raw * 100 : raw
        guard micros < 1_000_000 else {
            try? r.seek(to: start)
            throw FieldError(.invalid, "fractional seconds \(raw) out of range", offset: start)
        }
        return micros
    }

    static func decodeDate(_ r: inout ByteReader) throws(FieldError) -> MySQLDate {
        let v = Int(try r.readUIntLE(3, "DATE"))
        return MySQLDate(year: v >> 9, month: (v >> 5) & 0x0F, day: v & 0x1F)
    }

    static func decodeOldTime(_ r: inout ByteReader) throws(FieldError) -> MySQLTime {
        let u = UInt32(try r.readUIntLE(3, "TIME"))
        let v = Int(Int32(bitPattern: u << 8) >> 8)
        let a = v.magnitude
        return MySQLTime(
            negative: v < 0, hours: Int(a / 10_000), minutes: Int(a / 100 % 100),
            seconds: Int(a % 100), microseconds: 0, fsp: 0)
    }

    static func decodeOldDateTime(_ r: inout ByteReader) throws(FieldError) -> MySQLDateTime {
        let v = try r.readUIntLE(8, "DATETIME")
        let d = Int(v / 1_000_000)
        let t = Int(v % 1_000_000)
        return MySQLDateTime(
            year: d / 10_000, month: d / 100 % 100, day: d % 100,
            hour: t / 10_000, minute: t / 100 % 100, second: t % 100,
            microseconds: 0, fsp: 0)
    }

    static func decodeTimestamp2(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLTimestamp {
        let start = r.offset
        let secs = Int64(try r.readUIntBE(4, "TIMESTAMP2"))
        do throws(FieldError) {
            return MySQLTimestamp(seconds: secs, microseconds: try readFraction(fsp, &r), fsp: fsp)
        } catch {
            try? r.seek(to: start)
            throw error
        }
    }

    static func decodeDateTime2(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLDateTime {
        let start = r.offset
        let packed = Int64(try r.readUIntBE(5, "DATETIME2")) - 0x80_0000_0000
        let micros: Int
        do throws(FieldError) { micros = try readFraction(fsp, &r) } catch {
            try? r.seek(to: start)
            throw error
        }
        // A DATETIME is never negative; a negative packed value is corrupt.
        guard packed >= 0 else {
            try? r.seek(to: start)
            throw FieldError(.invalid, "DATETIME2: negative packed value", offset: start)
        }
        let ymd = Int(packed >> 17)
        let hms = Int(packed & 0x1_FFFF)
        let ym = ymd >> 5
        return MySQLDateTime(
            year: ym / 13, month: ym % 13, day: ymd & 0x1F,
            hour: hms >> 12, minute: (hms >> 6) & 0x3F, second: hms & 0x3F,
            microseconds: micros, fsp: fsp)
    }

    static func decodeTime2(_ fsp: Int, _ r: inout ByteReader) throws(FieldError) -> MySQLTime {
        let start = r.offset
        // The packed value: integer part << 24 | microseconds, signed (my_time_packed_from_binary).
        let packed: Int64
        switch fsp {
        case 0:
            packed = (Int64(try r.readUIntBE(3, "TIME2")) - 0x80_0000) << 24
        case 1, 2, 3, 4:
            let n = fractionBytes(fsp)
            let raw = try r.readUIntBE(3 + n, "TIME2")
            var intPart = Int64(raw >> (8 * UInt64(n))) - 0x80_0000
            var frac = Int64(raw & ((1 << (8 * UInt64(n))) - 1))
            if intPart < 0 && frac != 0 {
                intPart += 1
                frac -= Int64(1) << (8 * Int64(n))
            }
            packed = (intPart << 24) + frac * (n == 1 ? 10_000 : 100)
        default:
            packed = Int64(try r.readUIntBE(6, "TIME2")) - 0x8000_0000_0000
        }
        let a = packed.magnitude
        let hms = a >> 24
        let micros = Int(a & 0xFF_FFFF)
        guard micros < 1_000_000 else {
            try? r.seek(to: start)
            throw FieldError(.invalid, "TIME2: fractional part \(micros) out of range", offset: start)
        }
        return MySQLTime(
            negative: packed < 0, hours: Int((hms >> 12) & 0x3FF), minutes: Int((hms >> 6) & 0x3F),
            seconds: Int(hms & 0x3F), microseconds: micros, fsp: fsp)
    }
}
