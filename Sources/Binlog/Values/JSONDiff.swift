/// One change of a MySQL partial JSON update (`binlog_row_value_options=PARTIAL_JSON`): the after
/// image of a PARTIAL_UPDATE_ROWS event carries, for a JSON column whose partial bit is set, a
/// vector of these instead of the whole document. A diff is not a full value: applying it needs
/// the stored document.
package struct JSONDiff: Sendable, Equatable, Hashable {
    /// MySQL `enum_json_diff_operation`, stored as one byte.
    package enum Operation: UInt8, Sendable, Equatable, Hashable {
        case replace = 0, insert = 1, remove = 2

        /// The name used in the change-event JSON.
        package var name: String {
            switch self {
            case .replace: return "replace"
            case .insert: return "insert"
            case .remove: return "remove"
            }
        }
    }

    package var operation: Operation
    /// The JSON path as MySQL wrote it, e.g. `$.a[1]`.
    package var path: String
    /// The new value as canonical JSON text (replace, insert); nil for remove.
    package var value: String?

    package init(_ operation: Operation, path: String, value: String?) {
        self.operation = operation
        self.path = path
        self.value = value
    }
}

/// MySQL `Json_diff_vector` binary form (sql/json_diff.cc, `write_binary`/`read_binary`):
/// a 4-byte little-endian length of everything after it, then diffs to exactly that length. A diff
/// is an operation byte (0 replace, 1 insert, 2 remove), a packed-integer path length and the path
/// text, and for replace and insert a packed-integer value length and a binary-JSON value.
enum JSONDiffVector {
    static func decode(_ r: inout ByteReader) throws(FieldError) -> [JSONDiff] {
        let at = r.offset
        let length = Int(try r.readUInt32LE("JSON diff vector length"))
        guard length <= r.remaining else {
            throw FieldError(.short, "JSON diff vector length \(length), had \(r.remaining) bytes", offset: at)
        }
        var d = ByteReader(r.bytes, offset: r.offset, end: r.offset + length)
        var diffs: [JSONDiff] = []
        while !d.isAtEnd {
            diffs.append(try diff(&d))
        }
        try r.skip(length, "JSON diff vector")
        return diffs
    }

    private static func diff(_ d: inout ByteReader) throws(FieldError) -> JSONDiff {
        let opAt = d.offset
        let raw = try d.readUInt8("JSON diff operation")
        guard let op = JSONDiff.Operation(rawValue: raw) else {
            throw FieldError(.invalid, "JSON diff operation \(raw) (expected 0 replace, 1 insert, 2 remove)", offset: opAt)
        }
        let pathLength = try checkedLength(&d, "JSON diff path length", "JSON diff path")
        let pathAt = d.offset
        let path = try d.readUTF8(pathLength, "JSON diff path")
        guard path.utf8.first == UInt8(ascii: "$") else {
            throw FieldError(.invalid, "JSON diff path \"\(path)\" does not start with $", offset: pathAt)
        }
        guard op != .remove else { return JSONDiff(op, path: path, value: nil) }
        let valueAt = d.offset
        let valueLength = try checkedLength(&d, "JSON diff value length", "JSON diff value")
        guard valueLength > 0 else {
            throw FieldError(.invalid, "JSON diff value: empty (a binary JSON value has a type byte)", offset: valueAt)
        }
        let start = d.offset
        try d.skip(valueLength, "JSON diff value")
        let value = try BinaryJSON.text(d.bytes, start: start, end: start + valueLength)
        return JSONDiff(op, path: path, value: value)
    }

    /// A packed-integer length that must fit in what is left of the diff vector.
    private static func checkedLength(
        _ d: inout ByteReader, _ what: StaticString, _ field: String
    ) throws(FieldError) -> Int {
        let at = d.offset
        let n = try d.readLengthEncodedInt(what)
        guard n <= UInt64(d.remaining) else {
            throw FieldError(.short, "\(field): length \(n), had \(d.remaining) bytes of the diff vector", offset: at)
        }
        return Int(n)
    }
}

extension [JSONDiff] {
    /// `{"json_diff":[{"op":"replace","path":"$.a","value":1},{"op":"remove","path":"$.b"}]}`.
    func appendJSON(into out: inout String) {
        out.append(#"{"json_diff":["#)
        for (i, diff) in enumerated() {
            if i > 0 { out.unicodeScalars.append(",") }
            out.append(#"{"op":""#)
            out.append(diff.operation.name)
            out.append(#"","path":"#)
            out.appendJSONQuoted(diff.path)
            if let value = diff.value {
                out.append(#","value":"#)
                out.append(value)
            }
            out.unicodeScalars.append("}")
        }
        out.append("]}")
    }
}
