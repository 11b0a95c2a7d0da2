/// A MySQL GTID set: for each server UUID, sorted disjoint closed intervals of transaction numbers.
/// Text form: `uuid:1-5:7,uuid2:1-100` (the form of `gtid_executed`).
public struct MySQLGTIDSet: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Closed interval `start...end` of transaction numbers (gno >= 1).
    public struct Interval: Sendable, Equatable, Hashable {
        public var start: UInt64
        public var end: UInt64
        public init(_ start: UInt64, _ end: UInt64) {
            self.start = start
            self.end = end
        }
    }

    /// Per server UUID, sorted, merged intervals. Empty lists are never stored.
    public private(set) var sets: [ServerUUID: [Interval]]

    public init() { sets = [:] }

    public var isEmpty: Bool { sets.isEmpty }

    /// Parses `uuid:1-5:7,uuid2:3`; whitespace and newlines around entries are ignored.
    public init?(parsing text: String) {
        sets = [:]
        for entry in text.split(separator: ",") {
            let trimmed = entry.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed()
            let parts = String(trimmed).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, let uuid = ServerUUID(parsing: parts[0]) else { return nil }
            for p in parts.dropFirst() {
                let ends = p.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 1 || ends.count == 2,
                      let a = UInt64(ends[0]), let b = UInt64(ends[ends.count - 1]), a >= 1, a <= b
                else { return nil }
                insert(uuid, Interval(a, b))
            }
        }
    }

    /// Adds one transaction.
    public mutating func insert(_ uuid: ServerUUID, _ gno: UInt64) {
        insert(uuid, Interval(gno, gno))
    }

    /// Adds a closed interval, merging with neighbours.
    public mutating func insert(_ uuid: ServerUUID, _ iv: Interval) {
        guard iv.start <= iv.end else { return }
        var list = sets[uuid] ?? []
        var merged = iv
        var out: [Interval] = []
        out.reserveCapacity(list.count + 1)
        var placed = false
        for cur in list {
            if cur.end < merged.start && merged.start - cur.end > 1 {
                out.append(cur)
            } else if merged.end < cur.start && cur.start - merged.end > 1 {
                if !placed { out.append(merged); placed = true }
                out.append(cur)
            } else {
                merged = Interval(min(merged.start, cur.start), max(merged.end, cur.end))
            }
        }
        if !placed { out.append(merged) }
        list = out
        sets[uuid] = list
    }

    public func union(_ other: MySQLGTIDSet) -> MySQLGTIDSet {
        var r = self
        for (uuid, ivs) in other.sets { for iv in ivs { r.insert(uuid, iv) } }
        return r
    }

    public func contains(_ uuid: ServerUUID, _ gno: UInt64) -> Bool {
        guard let ivs = sets[uuid] else { return false }
        var lo = 0, hi = ivs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ivs[mid].end < gno { lo = mid + 1 } else { hi = mid }
        }
        return lo < ivs.count && ivs[lo].start <= gno
    }

    /// True when every transaction of `other` is in this set.
    public func contains(_ other: MySQLGTIDSet) -> Bool {
        for (uuid, ivs) in other.sets {
            guard let mine = sets[uuid] else { return false }
            for iv in ivs where !mine.contains(where: { $0.start <= iv.start && iv.end <= $0.end }) {
                return false
            }
        }
        return true
    }

    public var description: String {
        sets.keys.sorted().map { uuid in
            let ivs = sets[uuid] ?? []
            return uuid.description + ivs.map { $0.start == $0.end ? ":\($0.start)" : ":\($0.start)-\($0.end)" }.joined()
        }.joined(separator: ",")
    }

    /// PREVIOUS_GTIDS_LOG_EVENT (35) body: number of sids (8), then per sid: uuid (16), number of
    /// intervals (8), intervals as start (8) and exclusive end (8). The tagged form of MySQL 8.3+
    /// (format byte 1 in the top byte of the count) is recognised and refused.
    static func decodeEncoded(from r: inout ByteReader) throws(FieldError) -> MySQLGTIDSet {
        let start = r.offset
        let raw = try r.readUInt64LE("number of sids")
        if raw >> 56 != 0 {
            throw FieldError(.unsupported, "tagged GTID set (MySQL 8.3+ format \(raw >> 56)) not supported", offset: start)
        }
        guard raw <= UInt64(r.remaining / 24) else {
            throw FieldError(.outOfRange, "\(raw) sids cannot fit in \(r.remaining) bytes", offset: start)
        }
        var set = MySQLGTIDSet()
        for _ in 0..<Int(raw) {
            let uuid = try ServerUUID.read(from: &r)
            let n = try r.readUInt64LE("number of intervals")
            guard n <= UInt64(r.remaining / 16) else {
                throw FieldError(.outOfRange, "\(n) intervals cannot fit in \(r.remaining) bytes", offset: r.offset - 8)
            }
            for _ in 0..<Int(n) {
                let at = r.offset
                let a = try r.readUInt64LE("interval start")
                let b = try r.readUInt64LE("interval end")
                guard a >= 1, b > a else {
                    throw FieldError(.invalid, "GTID interval [\(a), \(b)) is empty or starts at 0", offset: at)
                }
                set.insert(uuid, Interval(a, b - 1))
            }
        }
        return set
    }
}
