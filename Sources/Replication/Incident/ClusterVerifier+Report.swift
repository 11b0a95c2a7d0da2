import Foundation

extension ClusterVerifier.Report {
    /// What `sluice verify` prints: one line when equal, else the count and the first 20.
    package func text(cluster: String) -> String {
        let what =
            "\(rowsChecked) row(s) of \(tables.joined(separator: ", ")) and \(keysScanned) key(s) in cluster \(cluster)"
        if equal { return "equal: \(what)" }
        var lines = ["DIFFERENT: \(differences.count) difference(s) in \(what):"]
        lines += differences.prefix(20).map { "  \($0)" }
        if differences.count > 20 { lines.append("  ... and \(differences.count - 20) more") }
        if let unsettled { lines.append("note: \(unsettled)") }
        return lines.joined(separator: "\n")
    }

    package func json(cluster: String) -> String {
        var obj: [String: Any] = [
            "cluster": cluster, "equal": equal, "rows": rowsChecked, "keys_scanned": keysScanned, "tables": tables,
            "difference_count": differences.count, "seconds": (seconds * 1000).rounded() / 1000,
            "differences": differences.prefix(20).map { d -> [String: Any] in
                var o: [String: Any] = ["key": d.key, "kind": d.kind.rawValue]
                if let c = d.column { o["column"] = c }
                if let m = d.mysql { o["mysql"] = m }
                if let r = d.redis { o["redis"] = r }
                return o
            },
        ]
        if let unsettled { obj["note"] = unsettled }
        let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
