/// A MariaDB GTID: replication domain, originating server id, sequence number (`0-1-100`).
package struct MariaDBGTID: Sendable, Equatable, Hashable, CustomStringConvertible {
    package var domain: UInt32
    package var serverID: UInt32
    package var sequence: UInt64

    package init(domain: UInt32, serverID: UInt32, sequence: UInt64) {
        self.domain = domain
        self.serverID = serverID
        self.sequence = sequence
    }

    package init?(parsing s: Substring) {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, let d = UInt32(p[0]), let sid = UInt32(p[1]), let seq = UInt64(p[2]) else { return nil }
        self.init(domain: d, serverID: sid, sequence: seq)
    }

    package var description: String { "\(domain)-\(serverID)-\(sequence)" }
}

/// A MariaDB GTID position (`gtid_slave_pos` / `gtid_binlog_pos`): at most one GTID per domain,
/// kept sorted by domain. Text form: `0-1-100,1-2-5`.
package struct MariaDBGTIDPosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    package private(set) var gtids: [MariaDBGTID]

    package init(_ gtids: [MariaDBGTID] = []) {
        self.gtids = []
        for g in gtids { update(g) }
    }

    package init?(parsing text: String) {
        var list: [MariaDBGTID] = []
        let trimmed = text.trimmingSpaces
        if !trimmed.isEmpty {
            for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                guard let g = MariaDBGTID(parsing: Substring(String(part).trimmingSpaces)) else { return nil }
                guard !list.contains(where: { $0.domain == g.domain }) else { return nil }
                list.append(g)
            }
        }
        self.init(list)
    }

    /// Records `g` as the latest GTID of its domain.
    package mutating func update(_ g: MariaDBGTID) {
        if let i = gtids.firstIndex(where: { $0.domain == g.domain }) {
            gtids[i] = g
        } else {
            gtids.append(g)
            gtids.sort { $0.domain < $1.domain }
        }
    }

    package func gtid(domain: UInt32) -> MariaDBGTID? { gtids.first { $0.domain == domain } }

    package var description: String { gtids.map(\.description).joined(separator: ",") }
}

extension String {
    var trimmingSpaces: String {
        let u = Array(utf8)
        var a = 0, b = u.count
        while a < b, u[a] == 0x20 || u[a] == 0x0A || u[a] == 0x09 { a += 1 }
        while b > a, u[b - 1] == 0x20 || u[b - 1] == 0x0A || u[b - 1] == 0x09 { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}
