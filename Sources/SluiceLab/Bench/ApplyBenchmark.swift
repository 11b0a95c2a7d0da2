import Foundation
import RedisCluster

/// `sluice bench redis-apply`: version-checked apply throughput on a cluster, with two reference
/// figures from the same run on the same cluster: pipelined HSET of the same rows (the ceiling:
/// no version check at all) and one EVALSHA per row, one request at a time (the naive way).
package struct ApplyBenchmark {
    package struct Settings: Sendable, Equatable {
        package var rows: Int
        /// Distinct keys; rows cycle over them with rising versions (rows/keys versions per key).
        package var keys: Int
        /// Rows per `apply()` call (one round trip per node, latency measured per call).
        package var batch: Int
        package var rowsPerCall: Int
        /// Rows for the naive one-EVALSHA-per-row figure (it is slow; a sample suffices).
        package var naiveRows: Int
        /// Independent apply streams (threads), rows split among them by slot.
        package var streams: Int
        package init(
            rows: Int = 1_000_000, keys: Int = 100_000, batch: Int = 30_000, rowsPerCall: Int = 250,
            naiveRows: Int = 20_000,
            streams: Int = 2
        ) {
            self.streams = streams
            self.rows = rows
            self.keys = keys
            self.batch = batch
            self.rowsPerCall = rowsPerCall
            self.naiveRows = naiveRows
        }
    }

    package struct Report: Sendable, Equatable {
        package var rows: Int
        package var seconds: Double
        package var applied: Int
        package var staleRefused: Int
        package var p50BatchMilliseconds: Double
        package var p99BatchMilliseconds: Double
        package var hsetRows: Int
        package var hsetSeconds: Double
        package var naiveRows: Int
        package var naiveSeconds: Double
        package var peakRSSMegabytes: Double
        /// CPU seconds the masters spent (INFO cpu, user + sys, summed) during each phase: a
        /// figure that stays meaningful when other processes compete for the machine.
        package var applyServerCPU: Double
        package var hsetServerCPU: Double
        /// CPU seconds this process spent during the apply and HSET phases.
        package var applyClientCPU: Double
        package var hsetClientCPU: Double

        package var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
        package var hsetRowsPerSecond: Double { hsetSeconds > 0 ? Double(hsetRows) / hsetSeconds : 0 }
        package var naiveRowsPerSecond: Double { naiveSeconds > 0 ? Double(naiveRows) / naiveSeconds : 0 }

        /// The last line of the command's output.
        package var json: String {
            func f(_ x: Double) -> String { String(format: "%.3f", x) }
            return "{\"rows\":\(rows),\"seconds\":\(f(seconds)),\"rows_per_s\":\(Int(rowsPerSecond)),"
                + "\"applied\":\(applied),\"stale_refused\":\(staleRefused),"
                + "\"hset_pipelined_rows_per_s\":\(Int(hsetRowsPerSecond)),\"evalsha_per_row_rows_per_s\":\(Int(naiveRowsPerSecond)),"
                + "\"p50_batch_ms\":\(f(p50BatchMilliseconds)),\"p99_batch_ms\":\(f(p99BatchMilliseconds)),"
                + "\"peak_rss_mb\":\(f(peakRSSMegabytes)),\"apply_server_cpu_s\":\(f(applyServerCPU)),"
                + "\"apply_client_cpu_s\":\(f(applyClientCPU)),\"hset_server_cpu_s\":\(f(hsetServerCPU)),"
                + "\"hset_client_cpu_s\":\(f(hsetClientCPU))}"
        }
    }

    package let client: RedisClusterClient
    package let settings: Settings
    /// Prefix of every key written, unique per run so earlier runs' versions don't refuse rows.
    package let prefix: String

    package init(client: RedisClusterClient, settings: Settings, prefix: String) {
        self.client = client
        self.settings = settings
        self.prefix = prefix
    }

    /// The row stream: row i writes key (i mod keys) at version (i / keys + 1), a 4-field hash.
    package func writes() -> [VersionedWrite] {
        (0..<settings.rows).map { i in
            let k = i % max(settings.keys, 1)
            let v = i / max(settings.keys, 1) + 1
            return VersionedWrite(
                key: "\(prefix)acct:\(k)", version: String(v),
                value: .hash([
                    .init("id", String(k)), .init("balance", "\(v).25"), .init("currency", "EUR"),
                    .init("version", String(v)),
                ]))
        }
    }

    package func run(progress: (String) -> Void = { _ in }) throws(RedisError) -> Report {
        try VersionedApplier(client: client, tombstoneTTLSeconds: 86_400).loadLibrary()
        let all = writes()
        progress(
            "applying \(all.count) rows over \(settings.keys) keys to \(client.masters.count) master(s) in \(settings.streams) stream(s), \(settings.batch) rows per batch, \(settings.rowsPerCall) rows per FCALL"
        )
        let rowsPerCall = settings.rowsPerCall
        let apply = try inStreams(all) { client, rows throws(RedisError) -> ApplyStats in
            let a = VersionedApplier(client: client, tombstoneTTLSeconds: 86_400, rowsPerCall: rowsPerCall)
            _ = try a.apply(rows)
            return a.stats
        }
        progress(String(format: "apply done in %.3f s; now the same rows as pipelined HSET", apply.seconds))

        // Ceiling: the same rows as plain pipelined HSETs (no version check) to other keys, with the
        // same streams, batches and per-node parallelism as the apply.
        let hset = try inStreams(all) { client, rows throws(RedisError) -> ApplyStats in
            _ = try client.pipeline(
                rows.map { w -> (RedisCommand, Int?) in
                    var c = RedisCommand("HSET")
                    let key = Array("h".utf8) + w.key
                    c.append(bytes: key)
                    if case .hash(let fields, _) = w.value {
                        for f in fields {
                            c.append(bytes: f.name)
                            c.append(bytes: f.value)
                        }
                    }
                    return (c, HashSlot.slot(of: key))
                })
            var s = ApplyStats()
            s.applied = rows.count
            return s
        }

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
            if case .hash(let fields, _) = w.value {
                for f in fields {
                    c.append(bytes: f.name)
                    c.append(bytes: f.value)
                }
            }
            let r = try client.send(c, key: w.key)
            if let m = r.errorMessage { throw RedisError(.server, "EVALSHA failed: \(m)") }
        }
        let naiveSeconds = Double(DispatchTime.now().uptimeNanoseconds - naiveStart) / 1e9

        return Report(
            rows: all.count, seconds: apply.seconds, applied: apply.stats.reduce(0) { $0 + $1.applied },
            staleRefused: apply.stats.reduce(0) { $0 + $1.staleRefused },
            p50BatchMilliseconds: Self.percentile(apply.latencies, 0.5),
            p99BatchMilliseconds: Self.percentile(apply.latencies, 0.99),
            hsetRows: all.count, hsetSeconds: hset.seconds, naiveRows: naive.count, naiveSeconds: naiveSeconds,
            peakRSSMegabytes: Self.peakRSSMegabytes(), applyServerCPU: apply.serverCPU, hsetServerCPU: hset.serverCPU,
            applyClientCPU: apply.clientCPU, hsetClientCPU: hset.clientCPU)
    }

    /// One measured phase: wall time, the masters' and this process's CPU, batch latencies.
    struct Phase {
        var seconds: Double
        var serverCPU: Double
        var clientCPU: Double
        var latencies: [Double]
        var stats: [ApplyStats]
    }

    /// Runs `body` over `rows` in `settings.streams` streams (rows split by slot, so each key's
    /// changes stay in one stream, in order), each with its own client on its own thread, in
    /// batches of `settings.batch / streams` rows; each batch goes to all masters in parallel. So
    /// several pipelines are in flight per master and one stream builds its next batch while the
    /// servers work on another's.
    func inStreams(
        _ rows: [VersionedWrite],
        _ body: @escaping @Sendable (RedisClusterClient, [VersionedWrite]) throws(RedisError) -> ApplyStats
    ) throws(RedisError) -> Phase {
        let streams = max(settings.streams, 1)
        var parts = [[VersionedWrite]](repeating: [], count: streams)
        for w in rows { parts[HashSlot.slot(of: w.key) % streams].append(w) }
        let box = StreamResults(count: streams)
        let batch = max(settings.batch / streams, 1)
        let work = parts
        let topology = client.topology
        let options = client.options
        let cpu0 = try serverCPU()
        let client0 = Self.processCPU()
        let start = DispatchTime.now().uptimeNanoseconds
        let runStream: @Sendable (Int) -> Void = { n in
            let rows = work[n]
            var lat: [Double] = []
            var stats = ApplyStats()
            var i = 0
            do throws(RedisError) {
                let client = try RedisClusterClient(topology: topology, options: options)
                while i < rows.count {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let s = try body(client, Array(rows[i..<min(i + batch, rows.count)]))
                    stats.applied += s.applied
                    stats.staleRefused += s.staleRefused
                    lat.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    i += batch
                }
            } catch {
                box.finish(n, latencies: lat, stats: stats, error: error)
                return
            }
            box.finish(n, latencies: lat, stats: stats, error: nil)
        }
        DispatchQueue.concurrentPerform(iterations: streams, execute: runStream)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let client1 = Self.processCPU()
        let cpu1 = try serverCPU()
        if let e = box.firstError { throw e }
        return Phase(
            seconds: seconds, serverCPU: cpu1 - cpu0, clientCPU: client1 - client0, latencies: box.latencies,
            stats: box.stats)
    }

    /// A one-row version-checked hash write as a plain script, the same storage as the library
    /// (version in the hash's `sluice:v` field, else the version key; KEYS: key, vkey; ARGV:
    /// version, field/value pairs), loaded on every master; returns its SHA1.
    private func loadNaiveScript() throws(RedisError) -> String {
        let script = """
            local cur = redis.call('HGET', KEYS[1], 'sluice:v')
            if not cur then cur = redis.call('GET', KEYS[2]) end
            if cur and (#cur > #ARGV[1] or (#cur == #ARGV[1] and cur >= ARGV[1])) then return 0 end
            redis.call('HSET', KEYS[1], 'sluice:v', ARGV[1], unpack(ARGV, 2))
            return 1
            """
        var sha = ""
        for m in client.masters {
            let r = try client.connection(to: m).command(RedisCommand("SCRIPT", "LOAD", script))
            guard let s = r.text, !r.isError else {
                throw RedisError(.server, "SCRIPT LOAD failed: \(r)", node: m.description)
            }
            sha = s
        }
        return sha
    }

    /// used_cpu_user + used_cpu_sys summed over the masters.
    private func serverCPU() throws(RedisError) -> Double {
        var total = 0.0
        for (node, result) in client.perNode(
            Dictionary(uniqueKeysWithValues: client.masters.map { ($0, [RedisCommand("INFO", "cpu")]) }))
        {
            guard let text = try result.get().first?.text else {
                throw RedisError(.protocolViolation, "INFO cpu: no text", node: node.description)
            }
            for line in text.split(whereSeparator: \.isNewline)
            where line.hasPrefix("used_cpu_user:") || line.hasPrefix("used_cpu_sys:") {
                total +=
                    line.split(separator: ":").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 0
            }
        }
        return total
    }

    /// User + system CPU seconds of this process.
    package static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Nearest-rank percentile (p in 0...1) of the values; 0 for none.
    package static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Peak resident set size of this process (VmHWM), in MB; 0 where /proc is absent.
    package static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}

/// Results of the benchmark's apply streams, filled from their threads.
private final class StreamResults: @unchecked Sendable {
    private let lock = NSLock()
    private var lat: [[Double]]
    private var st: [ApplyStats]
    private var errors: [RedisError] = []

    init(count: Int) {
        lat = Array(repeating: [], count: count)
        st = Array(repeating: ApplyStats(), count: count)
    }

    func finish(_ i: Int, latencies: [Double], stats: ApplyStats, error: RedisError?) {
        lock.lock()
        lat[i] = latencies
        st[i] = stats
        if let error { errors.append(error) }
        lock.unlock()
    }

    var latencies: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return lat.flatMap { $0 }
    }
    var stats: [ApplyStats] {
        lock.lock()
        defer { lock.unlock() }
        return st
    }
    var firstError: RedisError? {
        lock.lock()
        defer { lock.unlock() }
        return errors.first
    }
}
