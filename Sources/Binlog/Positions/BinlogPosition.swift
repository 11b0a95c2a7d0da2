/// A place in the binlog: file name and byte offset (the position of an event's first byte, or the
/// "next position" after an event). Ordered by file sequence number, then offset.
package struct BinlogPosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    package var file: String
    package var offset: UInt64

    package init(file: String, offset: UInt64) {
        self.file = file
        self.offset = offset
    }

    /// Parses `file:offset`.
    package init?(parsing s: String) {
        guard let colon = s.lastIndex(of: ":"), let off = UInt64(s[s.index(after: colon)...]) else { return nil }
        let f = String(s[..<colon])
        guard !f.isEmpty else { return nil }
        self.init(file: f, offset: off)
    }

    package var description: String { "\(file):\(offset)" }

    /// The numeric extension of `base.000123`, when there is one.
    var sequence: UInt64? {
        guard let dot = file.lastIndex(of: ".") else { return nil }
        return UInt64(file[file.index(after: dot)...])
    }

    package static func < (a: BinlogPosition, b: BinlogPosition) -> Bool {
        if a.file != b.file {
            if let x = a.sequence, let y = b.sequence, x != y { return x < y }
            return a.file < b.file
        }
        return a.offset < b.offset
    }
}
