/// A MySQL GTID set: for each server UUID and tag (MySQL 8.3+ tagged GTIDs, `""` for untagged),
/// sorted disjoint closed intervals of transaction numbers. Text form: `uuid:1-5:7:tag:1-3,uuid2:1-100`
/// (the form of `gtid_executed`: after a UUID, a tag applies to the intervals after it).
package struct MySQLGTIDSet: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Closed interval `start...end` of transaction numbers (gno >= 1).
    package struct Interval: Sendable, Equatable, Hashable {
        package var start: UInt64
        package var end: UInt64
        package init(_ start: UInt64, _ end: UInt64) {
            self.start = start
            self.end = end
        }
    }

    /// A server UUID with a tag (`""` = untagged): the source of one GTID sequence.
    package struct TSID: Sendable, Equatable, Hashable, Comparable {
        package var uuid: ServerUUID
        package var tag: String
        package init(_ uuid: ServerUUID, tag: String = "") {
            self.uuid = uuid
            self.tag = tag
        }
        package static func < (a: TSID, b: TSID) -> Bool { a.uuid != b.uuid ? a.uuid < b.uuid : a.tag < b.tag }
    }

    /// Per UUID and tag, sorted, merged intervals. Empty lists are never stored.
    package private(set) var sets: [TSID: [Interval]]

    package init() { sets = [:] }

    package var isEmpty: Bool { sets.isEmpty }

    /// True when any GTID carries a tag (then MySQL encodes the set in its tagged format).
    package var isTagged: Bool { sets.keys.contains { !$0.tag.isEmpty } }

    /// A tag as MySQL accepts it: a letter or `_`, then up to 31 letters, digits or `_`; MySQL
    /// keeps tags in lower case. Nil when not a tag.
    package static func normalizedTag<S: StringProtocol>(_ text: S) -> String? {
        let lower = text.lowercased()
        guard let first = lower.unicodeScalars.first, lower.unicodeScalars.count <= 32,
            first == "_" || ("a"..."z").contains(first),
            lower.unicodeScalars.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        else { return nil }
        return lower
    }

    /// Parses `uuid:1-5:7:tag:3,uuid2:3`; whitespace and newlines around entries are ignored.
    package init?(parsing text: String) {
        sets = [:]
        for entry in text.split(separator: ",") {
            let trimmed = entry.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed()
            let parts = String(trimmed).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 2, let uuid = ServerUUID(parsing: parts[0]) else { return nil }
            var tag = ""
            var intervals = 0
            for p in parts.dropFirst() {
                if let t = Self.normalizedTag(p) {
                    tag = t
                    continue
                }
                let ends = p.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 1 || ends.count == 2,
                      let a = UInt64(ends[0]), let b = UInt64(ends[ends.count - 1]), a >= 1, a <= b
                else { return nil }
                insert(TSID(uuid, tag: tag), Interval(a, b))
                intervals += 1
            }
            guard intervals > 0 else { return nil }
        }
    }

    /// Adds one untagged transaction.
    package mutating func insert(_ uuid: ServerUUID, _ gno: UInt64) {
        insert(TSID(uuid), Interval(gno, gno))
    }

    /// Adds one transaction of `tsid`.
    package mutating func insert(_ tsid: TSID, _ gno: UInt64) {
        insert(tsid, Interval(gno, gno))
    }

    /// Adds an untagged closed interval.
    package mutating func insert(_ uuid: ServerUUID, _ iv: Interval) {
        insert(TSID(uuid), iv)
    }

    /// Adds a closed interval, merging with neighbours.
    package mutating func insert(_ tsid: TSID, _ iv: Interval) {
        guard iv.start <= iv.end else { return }
        var list = sets[tsid] ?? []
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
        sets[tsid] = list
    }

    package func union(_ other: MySQLGTIDSet) -> MySQLGTIDSet {
        var r = self
        for (tsid, ivs) in other.sets { for iv in ivs { r.insert(tsid, iv) } }
        return r
    }

    package func contains(_ uuid: ServerUUID, _ gno: UInt64) -> Bool {
        contains(TSID(uuid), gno)
    }

    package func contains(_ tsid: TSID, _ gno: UInt64) -> Bool {
        guard let ivs = sets[tsid] else { return false }
        var lo = 0, hi = ivs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ivs[mid].end < gno { lo = mid + 1 } else { hi = mid }
        }
        return lo < ivs.count && ivs[lo].start <= gno
    }

    /// True when every transaction of `other` is in this set.
    package func contains(_ other: MySQLGTIDSet) -> Bool {
        for (tsid, ivs) in other.sets {
            guard let mine = sets[tsid] else { return false }
            for iv in ivs where !mine.contains(where: { $0.start <= iv.start && iv.end <= $0.end }) {
                return false
            }
        }
        return true
    }

    /// Per UUID: its untagged intervals, then each tag (in order) followed by its intervals.
    package var description: String {
        var entries: [String] = []
        var current: ServerUUID?
        for tsid in sets.keys.sorted() {
            let ivs = (sets[tsid] ?? []).map { $0.start == $0.end ? ":\($0.start)" : ":\($0.start)-\($0.end)" }.joined()
            let text = (tsid.tag.isEmpty ? "" : ":" + tsid.tag) + ivs
            if tsid.uuid == current, let last = entries.popLast() {
                entries.append(last + text)
            } else {
                entries.append(tsid.uuid.description + text)
                current = tsid.uuid
            }
        }
        return entries.joined(separator: ",")
    }

    /// PREVIOUS_GTIDS_LOG_EVENT (35) body (MySQL `Gtid_set::encode`): an 8-byte little-endian word,
    /// then per UUID and tag its uuid (16), in the tagged format its tag (a varlen length, then the
    /// bytes; length 0 = untagged), the number of intervals (8) and the intervals as start (8) and
    /// exclusive end (8). The word is the number of entries in the untagged format; in the tagged
    /// format of MySQL 8.3+ its top byte is the format (1), its low byte repeats it and bits 8-55
    /// are the number of entries.
    static func decodeEncoded(from r: inout ByteReader) throws(FieldError) -> MySQLGTIDSet {
        let start = r.offset
        let raw = try r.readUInt64LE("number of sids")
        let format = raw >> 56
        guard format <= 1, format == 0 || raw & 0xFF == 1 else {
            throw FieldError(.unsupported, "GTID set format \(format) (word 0x\(String(raw, radix: 16)))", offset: start)
        }
        let tagged = format == 1
        let count = tagged ? (raw >> 8) & 0xFFFF_FFFF_FFFF : raw
        guard count <= UInt64(r.remaining / 24) else {
            throw FieldError(.outOfRange, "\(count) sids cannot fit in \(r.remaining) bytes", offset: start)
        }
        var set = MySQLGTIDSet()
        for _ in 0..<Int(count) {
            let uuid = try ServerUUID.read(from: &r)
            var tag = ""
            if tagged {
                let at = r.offset
                let n = try r.readVarlenUInt("tag length")
                guard n <= 32 else { throw FieldError(.invalid, "GTID tag of \(n) bytes (at most 32)", offset: at) }
                let text = try r.readUTF8(Int(n), "tag")
                if n > 0 {
                    guard let normal = Self.normalizedTag(text), normal == text else {
                        throw FieldError(.invalid, "GTID tag \"\(text)\" is not a tag", offset: at)
                    }
                    tag = normal
                }
            }
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
                set.insert(TSID(uuid, tag: tag), Interval(a, b - 1))
            }
        }
        return set
    }

    /// The `Gtid_set::encode` form (see `decodeEncoded`): untagged when no GTID has a tag, else
    /// tagged. COM_BINLOG_DUMP_GTID carries it.
    package var encoded: [UInt8] {
        var out: [UInt8] = []
        func le(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        let keys = sets.keys.sorted()
        let tagged = isTagged
        le(tagged ? 1 << 56 | UInt64(keys.count) << 8 | 1 : UInt64(keys.count))
        for tsid in keys {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: tsid.uuid.high >> UInt64(shift))) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: tsid.uuid.low >> UInt64(shift))) }
            if tagged {
                let bytes = Array(tsid.tag.utf8)
                out.append(UInt8(bytes.count << 1))  // varlen: one byte (value << 1) for 0...127
                out += bytes
            }
            let ivs = sets[tsid] ?? []
            le(UInt64(ivs.count))
            for iv in ivs {
                le(iv.start)
                le(iv.end &+ 1)
            }
        }
        return out
    }
}
