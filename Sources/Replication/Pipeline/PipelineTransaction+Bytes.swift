import Binlog

extension PipelineTransaction {
    /// Bytes one row change holds besides its values (the struct, its arrays' headers, position).
    static let rowOverheadBytes = 256

    /// About how many bytes of memory the transaction holds: per row change a fixed overhead plus
    /// its before and after values (text and bytes by length, numbers and times by width). The
    /// column names are shared by every row of a table map and not counted. What the sink
    /// queues bound (`SinkPipeline.Settings.queueBytes`), not an exact figure.
    package var estimatedBytes: Int {
        var total = 64
        for change in changes {
            total += Self.rowOverheadBytes
            for image in [change.before, change.after] {
                guard let image else { continue }
                for value in image { total += Self.bytes(of: value) }
            }
        }
        return total
    }

    private static func bytes(of value: ColumnValue) -> Int {
        switch value {
        case .string(let s), .decimal(let s), .json(let s): return 16 + s.utf8.count
        case .bytes(let b), .geometry(let b): return 16 + b.count
        case .enumValue(_, let name): return 16 + (name?.utf8.count ?? 0)
        case .set(_, let names): return 16 + (names?.reduce(0) { $0 + 16 + $1.utf8.count } ?? 0)
        case .vector(let v): return 16 + 4 * v.count
        case .jsonDiff(let d): return 16 + 64 * d.count
        default: return 16
        }
    }
}
