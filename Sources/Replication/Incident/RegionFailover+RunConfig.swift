/// The `sluice run` configuration of the new region, made from the DR region's configuration
/// text (comments and layout kept). Pure.
///
/// - the DR cluster (`[redis.<dr>]` and its sub-tables) becomes `[redis.primary]`: the daemon's
///   sink, holding every mapping (it mirrored them all), its checkpoints written by the failover;
/// - the old region's `[redis.primary]` (and sub-tables) is dropped: nothing may write there;
/// - `[dr_apply]` is dropped: the new region has no DR region until one is set up;
/// - `clusters = [...]` lines of the mappings are set to `["primary"]`;
/// - `[source]` stays: it already reaches the promoted server.
enum FailoverRunConfig {
    static func text(from config: String, drCluster: String) -> String {
        var out: [String] = [
            "# Written by `sluice failover`: the new region's `sluice run` configuration (docs/failover.md).",
            "# [redis.\(drCluster)] became [redis.primary]; the old region's [redis.primary] and [dr_apply] are gone.",
        ]
        var dropping = false
        var inMapping = false
        for line in config.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingSpaces
            if let header = header(trimmed) {
                inMapping = header == "mapping"
                if header == "dr_apply" || header == "redis.primary" || header.hasPrefix("redis.primary.") {
                    dropping = true
                    continue
                }
                dropping = false
                if header == "redis.\(drCluster)" || header.hasPrefix("redis.\(drCluster).") {
                    let rest = header.dropFirst("redis.\(drCluster)".count)
                    out.append("[redis.primary\(rest)]")
                    continue
                }
            }
            if dropping { continue }
            if inMapping, trimmed.hasPrefix("clusters"), String(trimmed.dropFirst("clusters".count)).trimmingSpaces.hasPrefix("=") {
                out.append("clusters = [\"primary\"]")
                continue
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// The table name of a `[name]` or `[[name]]` header line, nil for other lines.
    private static func header(_ line: String) -> String? {
        guard line.hasPrefix("[") else { return nil }
        var name = Substring(line)
        while name.first == "[" { name = name.dropFirst() }
        guard let close = name.firstIndex(of: "]") else { return nil }
        return String(name[..<close]).trimmingSpaces
    }
}
