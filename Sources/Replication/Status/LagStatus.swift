import Foundation

/// What `sluice status` reports: the source's binlog end, and how far each sink (each Redis
/// cluster's checkpoint) and the DR applier (its stored offsets against the topic ends) are behind.
/// Pure: gathered by `LagStatus.gather`, judged against the `[lag]` thresholds here.
package struct LagStatus: Sendable, Equatable {
    package enum State: Sendable, Equatable {
        case ok
        case lagging
        /// The component could not be read, or has no position yet: lag unknown.
        case unknown(String)

        package var word: String {
            switch self {
            case .ok: return "ok"
            case .lagging: return "LAGGING"
            case .unknown: return "UNKNOWN"
            }
        }
    }

    package struct Row: Sendable, Equatable {
        /// `source`, `redis.<name>`, `dr.<cluster>`.
        package var name: String
        package var state: State
        /// The component's position: binlog `file:offset`, or stored/end offsets for DR.
        package var position: String
        package var bytes: UInt64?
        package var seconds: Double?
        package var transactions: UInt64?
        package var messages: Int64?
        /// DR rows: the DR cluster's watermark (`file:offset gtid G`), nil before the first.
        package var watermark: String?

        package init(name: String, state: State = .ok, position: String = "", bytes: UInt64? = nil, seconds: Double? = nil,
                    transactions: UInt64? = nil, messages: Int64? = nil) {
            self.name = name
            self.state = state
            self.position = position
            self.bytes = bytes
            self.seconds = seconds
            self.transactions = transactions
            self.messages = messages
        }
    }

    package var rows: [Row]
    package var maxSeconds: Double
    package var maxBytes: UInt64

    package init(rows: [Row], maxSeconds: Double, maxBytes: UInt64) {
        self.rows = rows
        self.maxSeconds = maxSeconds
        self.maxBytes = maxBytes
    }

    /// Marks each measured row lagging when its seconds or bytes exceed the thresholds.
    package mutating func judge() {
        for i in rows.indices where rows[i].state == .ok {
            if let s = rows[i].seconds, s > maxSeconds { rows[i].state = .lagging }
            if let b = rows[i].bytes, b > maxBytes { rows[i].state = .lagging }
        }
    }

    /// 0 when every row is under the thresholds; 3 when any lags or could not be measured.
    package var exitStatus: Int32 { rows.allSatisfy { $0.state == .ok } ? 0 : 3 }

    package var text: String {
        let header = ["COMPONENT", "STATE", "POSITION", "BYTES", "SECONDS", "TRANSACTIONS", "MESSAGES"]
        let body = rows.map { r -> [String] in
            var state = r.state.word
            if case .unknown(let why) = r.state { state += " (\(why))" }
            let position = r.position + (r.watermark.map { ", watermark \($0)" } ?? "")
            return [r.name, state, position, r.bytes.map(String.init) ?? "-", r.seconds.map { String(format: "%.1f", $0) } ?? "-",
                    r.transactions.map(String.init) ?? "-", r.messages.map(String.init) ?? "-"]
        }
        let all = [header] + body
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for line in all {
            out += line.enumerated().map { c, cell in
                c == line.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            out += "\n"
        }
        out += "thresholds: \(Int(maxSeconds)) s, \(maxBytes) bytes; " + (exitStatus == 0 ? "all under" : "NOT all under")
        return out
    }

    package var json: String {
        func q(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        }
        func n<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "null" }
        let items = rows.map { r -> String in
            var reason = "null"
            if case .unknown(let why) = r.state { reason = q(why) }
            return "{\"component\":\(q(r.name)),\"state\":\(q(r.state.word.lowercased())),\"reason\":\(reason),"
                + "\"position\":\(q(r.position)),\"bytes\":\(n(r.bytes)),"
                + "\"seconds\":\(r.seconds.map { String(format: "%.3f", $0) } ?? "null"),"
                + "\"transactions\":\(n(r.transactions)),\"messages\":\(n(r.messages)),"
                + "\"watermark\":\(r.watermark.map(q) ?? "null")}"
        }
        return "{\"ok\":\(exitStatus == 0),\"max_seconds\":\(maxSeconds),\"max_bytes\":\(maxBytes),\"components\":["
            + items.joined(separator: ",") + "]}"
    }
}
