import Foundation

/// `sluice bench redis-apply`: version-checked apply throughput on a cluster, with two reference
/// figures from the same run on the same cluster: pipelined HSET of the same rows (the ceiling:
/// no version check at all) and one EVALSHA per row, one request at a time (the naive way).
public struct ApplyBenchmark {
    public struct Settings: Sendable, Equatable {
        public var rows: Int
        /// Distinct keys; rows cycle over them with rising versions (rows/keys versions per key).
        public var keys: Int
        /// Rows per `apply()` call (one round trip per node, latency measured per call).
        public var batch: Int
        public var rowsPerCall: Int
        /// Rows for the naive one-EVALSHA-per-row figure (it is slow; a sample suffices).
        public var naiveRows: Int
        public init(rows: Int = 1_000_000, keys: Int = 100_000, batch: Int = 30_000, rowsPerCall: Int = 250, naiveRows: Int = 20_000) {
            self.rows = rows
            self.keys = keys
            self.batch = batch
            self.rowsPerCall = rowsPerCall
            self.naiveRows = naiveRows
        }
    }

    public struct Report: Sendable, Equatable {
        public var rows: Int
        public var seconds: Double
        public var applied: Int
        public var staleRefused: Int
        public var p50BatchMilliseconds: Double
        public var p99BatchMilliseconds: Double
        public var hsetRows: Int
        public var hsetSeconds: Double
        public var naiveRows: Int
        public var naiveSeconds: Double
        public var peakRSSMegabytes: Double

        public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
        public var hsetRowsPerSecond: Double { hsetSeconds > 0 ? Double(hsetRows) / hsetSeconds : 0 }
        public var naiveRowsPerSecond: Double { naiveSeconds > 0 ? Double(naiveRows) / naiveSeconds : 0 }

        /// The last line of the command's output.
        public var json: String {
            func f(_ x: Double) -> String { String(format: "%.3f", x) }
            return "{\"rows\":\(rows),\"seconds\":\(f(seconds)),\"rows_per_s\":\(Int(rowsPerSecond)),"
                + "\"applied\":\(applied),\"stale_refused\":\(staleRefused),"
                + "\"hset_pipelined_rows_per_s\":\(Int(hsetRowsPerSecond)),\"evalsha_per_row_rows_per_s\":\(Int(naiveRowsPerSecond)),"
                + "\"p50_batch_ms\":\(f(p50BatchMilliseconds)),\"p99_batch_ms\":\(f(p99BatchMilliseconds)),"
                + "\"peak_rss_mb\":\(f(peakRSSMegabytes))}"
        }
    }

    public let client: RedisClusterClient
    public let settings: Settings
    /// Prefix of every key written, unique per run so earlier runs' versions don't refuse rows.
    public let prefix: String

    public init(client: RedisClusterClient, settings: Settings, prefix: String) {
        self.client = client
        self.settings = settings
        self.prefix = prefix
    }

    /// The row stream: row i writes key (i mod keys) at version (i / keys + 1), a 4-field hash.
    public func writes() -> [VersionedWrite] {
        (0..<settings.rows).map { i in
            let k = i % max(settings.keys, 1)
            let v = i / max(settings.keys, 1) + 1
            return VersionedWrite(key: "\(prefix)acct:\(k)", version: String(v), value: .hash([
                .init("id", String(k)), .init("balance", "\(v).25"), .init("currency", "EUR"), .init("version", String(v)),
            ]))
        }
    }

    public func run(progress: (String) -> Void = { _ in }) throws(RedisError) -> Report {
        let applier = VersionedApplier(client: client, tombstoneTTLSeconds: 86_400, rowsPerCall: settings.rowsPerCall)
        try applier.loadLibrary()
        let all = writes()
        progress("applying \(all.count) rows over \(settings.keys) keys to \(client.masters.count) master(s), \(settings.batch) rows per batch, \(settings.rowsPerCall) rows per FCALL")
        var latencies: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        var i = 0
        while i < all.count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try applier.apply(Array(all[i..<min(i + settings.batch, all.count)]))
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            i += settings.batch
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // Ceiling: the same rows as plain pipelined HSETs (no version check), same batch size.
        let hsetStart = DispatchTime.now().uptimeNanoseconds
        i = 0
        while i < all.count {
            let cmds = all[i..<min(i + settings.batch, all.count)].map { w -> (RedisCommand, Int?) in
                var c = RedisCommand("HSET")
                c.append(bytes: Array("h".utf8) + w.key)
                if case .hash(let fields) = w.value { for f in fields { c.append(bytes: f.name); c.append(bytes: f.value) } }
                return (c, HashSlot.slot(of: Array("h".utf8) + w.key))
            }
            _ = try client.pipeline(cmds)
            i += settings.batch
        }
        let hsetSeconds = Double(DispatchTime.now().uptimeNanoseconds - hsetStart) / 1e9

        // Naive: one EVALSHA per row, waiting for each reply.
        let naive = Array(all.prefix(settings.naiveRows)).map { w -> VersionedWrite in
            var n = w
            n.key = Array("n".utf8) + w.key
            return n
        }
        let sha = try loadNaiveScript()
        let naiveStart = DispatchTime.now().uptimeNanoseconds
        for w in naive {
            var c = RedisCommand("EVALSHA", sha, "2")
            c.append(bytes: w.key)
            c.append(bytes: w.versionKey)
            c.append(w.version)
            if case .hash(let fields) = w.value { for f in fields { c.append(bytes: f.name); c.append(bytes: f.value) } }
            let r = try client.send(c, key: w.key)
            if let m = r.errorMessage { throw RedisError(.server, "EVALSHA failed: \(m)") }
        }
        let naiveSeconds = Double(DispatchTime.now().uptimeNanoseconds - naiveStart) / 1e9

        return Report(rows: all.count, seconds: seconds, applied: applier.stats.applied, staleRefused: applier.stats.staleRefused,
                      p50BatchMilliseconds: Self.percentile(latencies, 0.5), p99BatchMilliseconds: Self.percentile(latencies, 0.99),
                      hsetRows: all.count, hsetSeconds: hsetSeconds, naiveRows: naive.count, naiveSeconds: naiveSeconds,
                      peakRSSMegabytes: Self.peakRSSMegabytes())
    }

    /// A one-row version-checked hash write as a plain script (KEYS: key, vkey; ARGV: version,
    /// field/value pairs), loaded on every master; returns its SHA1.
    private func loadNaiveScript() throws(RedisError) -> String {
        let script = """
        local cur = redis.call('GET', KEYS[2])
        if cur and (#cur > #ARGV[1] or (#cur == #ARGV[1] and cur >= ARGV[1])) then return 0 end
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        redis.call('SET', KEYS[2], ARGV[1])
        return 1
        """
        var sha = ""
        for m in client.masters {
            let r = try client.connection(to: m).command(RedisCommand("SCRIPT", "LOAD", script))
            guard let s = r.text, !r.isError else { throw RedisError(.server, "SCRIPT LOAD failed: \(r)", node: m.description) }
            sha = s
        }
        return sha
    }

    /// Nearest-rank percentile (p in 0...1) of the values; 0 for none.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Peak resident set size of this process (VmHWM), in MB; 0 where /proc is absent.
    public static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
