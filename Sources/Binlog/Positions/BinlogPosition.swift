/// A place in the binlog: file name and byte offset (the position of an event's first byte, or the
/// "next position" after an event). Ordered by file sequence number, then offset.
public struct BinlogPosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var offset: UInt64

    public init(file: String, offset: UInt64) {
        self.file = file
        self.offset = offset
    }

    /// Parses `file:offset`.
    public init?(parsing s: String) {
        guard let colon = s.lastIndex(of: ":"), let off = UInt64(s[s.index(after: colon)...]) else { return nil }
        let f = String(s[..<colon])
        guard !f.isEmpty else { return nil }
        self.init(file: f, offset: off)
    }

    public var description: String { "\(file):\(offset)" }

    /// The numeric extension of `base.000123`, when there is one.
    var sequence: UInt64? {
        guard let dot = file.lastIndex(of: ".") else { return nil }
        return UInt64(file[file.index(after: dot)...])
    }

    public static func < (a: BinlogPosition, b: BinlogPosition) -> Bool {
        if a.file != b.file {
            if let x = a.sequence, let y = b.sequence, x != y { return x < y }
            return a.file < b.file
        }
        return a.offset < b.offset
    }
}
