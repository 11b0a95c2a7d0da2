/// MySQL 5.7+/8.x binary JSON (the JSON column's row-image format) rendered as JSON text.
///
/// Format (MySQL `json_binary.h`, WL#8132): a document is a type byte and a value. Objects and
/// arrays come in a small (2-byte offsets and sizes) and a large (4-byte) form: element count,
/// total size, then (objects) key entries `offset, uint16 length`, then value entries `type,
/// offset-or-inlined-value`, then keys and values. Offsets count from the first byte after the
/// container's type byte. Literals and 16-bit integers are inlined in value entries (32-bit ones
/// too in the large form). Strings are a variable-length size (7 bits per byte, low group first)
/// plus utf8mb4; opaque values are a MySQL field type, a variable-length size and the field's
/// own binary form. All integers are little-endian.
///
/// Output form follows MySQL's own JSON printing: `{"k": v, "k2": [1, 2]}`, keys in stored order,
/// DECIMAL as a bare number, DATE/TIME/DATETIME/TIMESTAMP as strings with six fraction digits,
/// other opaque values as `"base64:typeN:..."`. An empty document (length 0) is JSON `null`.
///
/// Entries may point anywhere inside their container, so corrupt input could alias one subtree
/// many times; the text is capped at 8 times the document size plus 1 KiB (more than any real
/// document needs: an inlined int16 in a 3-byte entry prints as at most 8 bytes) and nesting
/// at 100 levels, so no input makes this allocate without bound or recurse too deep.
enum BinaryJSON {
    /// MySQL refuses documents nested deeper than 100; anything deeper is corrupt.
    static let maxDepth = 100

    static func text(_ bytes: [UInt8], start: Int, end: Int) throws(FieldError) -> String {
        if start == end { return "null" }
        var r = ByteReader(bytes, offset: start, end: end)
        let type = try r.readUInt8("JSON type")
        var out = ""
        let cap = (end - start).multipliedReportingOverflow(by: 8).partialValue + 1024
        try appendValue(type, at: r.offset, bytes, end: end, depth: 0, cap: cap, into: &out)
        return out
    }

    private static func appendValue(
        _ type: UInt8, at pos: Int, _ bytes: [UInt8], end: Int, depth: Int,
        cap: Int, into out: inout String
    ) throws(FieldError) {
        var r = ByteReader(bytes, offset: pos, end: end)
        guard r.offset == pos else {
            throw FieldError(.outOfRange, "JSON value offset past its container", offset: pos)
        }
        switch type {
        case 0x00, 0x01, 0x02, 0x03:
            guard depth < maxDepth else {
                throw FieldError(.invalid, "JSON nested deeper than \(maxDepth)", offset: pos)
            }
            try appendContainer(
                object: type < 0x02, large: type & 1 == 1, at: pos, bytes, end: end,
                depth: depth + 1, cap: cap, into: &out)
        case 0x04:
            try appendLiteral(try r.readUInt8("JSON literal"), at: pos, into: &out)
        case 0x05: out.append(String(Int16(bitPattern: UInt16(try r.readUIntLE(2, "JSON int16")))))
        case 0x06: out.append(String(try r.readUIntLE(2, "JSON uint16")))
        case 0x07: out.append(String(Int32(bitPattern: UInt32(try r.readUIntLE(4, "JSON int32")))))
        case 0x08: out.append(String(try r.readUIntLE(4, "JSON uint32")))
        case 0x09: out.append(String(Int64(bitPattern: try r.readUIntLE(8, "JSON int64"))))
        case 0x0A: out.append(String(try r.readUIntLE(8, "JSON uint64")))
        case 0x0B:
            let d = Double(bitPattern: try r.readUIntLE(8, "JSON double"))
            guard d.isFinite else { throw FieldError(.invalid, "JSON double is not finite", offset: pos) }
            out.append(d.description)
        case 0x0C:
            let n = try readVarLength(&r)
            let s = try r.readUTF8(n, "JSON string")
            out.appendJSONQuoted(s)
        case 0x0F:
            let fieldType = try r.readUInt8("JSON opaque type")
            let n = try readVarLength(&r)
            let dataStart = r.offset
            try r.skip(n, "JSON opaque data")
            try appendOpaque(fieldType, bytes, start: dataStart, end: dataStart + n, into: &out)
        default:
            throw FieldError(.invalid, "JSON value type 0x\(String(type, radix: 16))", offset: pos)
        }
    }

    private static func appendLiteral(_ v: UInt8, at pos: Int, into out: inout String) throws(FieldError) {
        switch v {
        case 0: out.append("null")
        case 1: out.append("true")
        case 2: out.append("false")
        default: throw FieldError(.invalid, "JSON literal \(v)", offset: pos)
        }
    }

    private static func appendContainer(
        object: Bool, large: Bool, at base: Int, _ bytes: [UInt8], end: Int,
        depth: Int, cap: Int, into out: inout String
    ) throws(FieldError) {
        let w = large ? 4 : 2
        var h = ByteReader(bytes, offset: base, end: end)
        let count = Int(try h.readUIntLE(w, "JSON element count"))
        let size = Int(try h.readUIntLE(w, "JSON container size"))
        guard size <= end - base else {
            throw FieldError(.short, "JSON container size \(size), had \(end - base) bytes", offset: base)
        }
        let keyEntry = w + 2
        let valueEntry = 1 + w
        let perElement = (object ? keyEntry : 0) + valueEntry
        guard count <= (size - 2 * w) / perElement else {
            throw FieldError(.invalid, "JSON container: \(count) elements do not fit in \(size) bytes", offset: base)
        }
        let limit = base + size
        let keysAt = base + 2 * w
        let valuesAt = keysAt + (object ? count * keyEntry : 0)
        out.unicodeScalars.append(object ? "{" : "[")
        for i in 0..<count {
            guard out.utf8.count <= cap else {
                throw FieldError(
                    .invalid, "JSON text would exceed \(cap) bytes: entries alias each other", offset: base)
            }
            if i > 0 { out.append(", ") }
            if object {
                var k = ByteReader(bytes, offset: keysAt + i * keyEntry, end: limit)
                let keyOffset = Int(try k.readUIntLE(w, "JSON key offset"))
                let keyLength = Int(try k.readUIntLE(2, "JSON key length"))
                guard keyOffset <= size else {
                    throw FieldError(
                        .outOfRange, "JSON key offset \(keyOffset) past container size \(size)", offset: k.offset)
                }
                var kr = ByteReader(bytes, offset: base + keyOffset, end: limit)
                out.appendJSONQuoted(try kr.readUTF8(keyLength, "JSON key"))
                out.append(": ")
            }
            var v = ByteReader(bytes, offset: valuesAt + i * valueEntry, end: limit)
            let type = try v.readUInt8("JSON value type")
            switch type {
            case 0x04:
                try appendLiteral(
                    UInt8(truncatingIfNeeded: try v.readUIntLE(w, "JSON literal")), at: v.offset, into: &out)
            case 0x05:
                out.append(String(Int16(bitPattern: UInt16(truncatingIfNeeded: try v.readUIntLE(w, "JSON int16")))))
            case 0x06:
                out.append(String(UInt16(truncatingIfNeeded: try v.readUIntLE(w, "JSON uint16"))))
            case 0x07 where large:
                out.append(String(Int32(bitPattern: UInt32(try v.readUIntLE(4, "JSON int32")))))
            case 0x08 where large:
                out.append(String(try v.readUIntLE(4, "JSON uint32")))
            default:
                let valueOffset = Int(try v.readUIntLE(w, "JSON value offset"))
                guard valueOffset < size else {
                    throw FieldError(
                        .outOfRange, "JSON value offset \(valueOffset) past container size \(size)", offset: v.offset)
                }
                try appendValue(type, at: base + valueOffset, bytes, end: limit, depth: depth, cap: cap, into: &out)
            }
        }
        out.unicodeScalars.append(object ? "}" : "]")
    }

    /// Variable-length size: 7 bits per byte, low group first, high bit set on all but the last.
    private static func readVarLength(_ r: inout ByteReader) throws(FieldError) -> Int {
        let start = r.offset
        var v = 0
        for i in 0..<5 {
            let b: UInt8
            do throws(FieldError) { b = try r.readUInt8("JSON length") } catch {
                try? r.seek(to: start)
                throw error
            }
            v |= Int(b & 0x7F) << (7 * i)
            if b & 0x80 == 0 { return v }
        }
        throw FieldError(.invalid, "JSON length longer than 5 bytes", offset: start)
    }

    private static func appendOpaque(
        _ fieldType: UInt8, _ bytes: [UInt8], start: Int, end: Int,
        into out: inout String
    ) throws(FieldError) {
        var r = ByteReader(bytes, offset: start, end: end)
        switch fieldType {
        case ColumnType.newdecimal.rawValue:
            let precision = Int(try r.readUInt8("JSON DECIMAL precision"))
            let scale = Int(try r.readUInt8("JSON DECIMAL scale"))
            out.append(try PackedDecimal.decode(precision: precision, scale: scale, from: &r))
        case ColumnType.date.rawValue, ColumnType.datetime.rawValue, ColumnType.timestamp.rawValue,
            ColumnType.time.rawValue:
            let packed = Int64(bitPattern: try r.readUIntLE(8, "JSON temporal"))
            out.unicodeScalars.append("\"")
            appendPackedTemporal(packed, fieldType: fieldType, into: &out)
            out.unicodeScalars.append("\"")
        default:
            out.append("\"base64:type")
            out.append(String(fieldType))
            out.unicodeScalars.append(":")
            out.appendBase64(bytes[start..<end])
            out.unicodeScalars.append("\"")
            return
        }
        guard r.isAtEnd else {
            throw FieldError(
                .invalid, "JSON opaque value of type \(fieldType): \(r.remaining) bytes left over", offset: r.offset)
        }
    }

    /// MySQL's packed temporal longlong (`my_time.h`): integer part << 24 | microseconds, signed.
    private static func appendPackedTemporal(_ packed: Int64, fieldType: UInt8, into out: inout String) {
        let a = packed.magnitude
        let micros = Int(a & 0xFF_FFFF)
        let intPart = a >> 24
        if fieldType == ColumnType.time.rawValue {
            if packed < 0 { out.unicodeScalars.append("-") }
            out.appendClock(
                Int((intPart >> 12) & 0x3FF), Int((intPart >> 6) & 0x3F), Int(intPart & 0x3F),
                microseconds: micros, fsp: 6)
            return
        }
        let ymd = Int(intPart >> 17)
        let hms = Int(intPart & 0x1_FFFF)
        let ym = ymd >> 5
        out.appendDate(ym / 13, ym % 13, ymd & 0x1F)
        guard fieldType != ColumnType.date.rawValue else { return }
        out.unicodeScalars.append(" ")
        out.appendClock(hms >> 12, (hms >> 6) & 0x3F, hms & 0x3F, microseconds: micros, fsp: 6)
    }
}
