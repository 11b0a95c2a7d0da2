import Foundation
import TestSupport
import XCTest

@testable import RedisCluster

final class ApplyConvergenceTests: LiveClusterTestCase {
    private func applier(rowsPerCall: Int = 64) throws -> VersionedApplier {
        let a = VersionedApplier(client: try client(), tombstoneTTLSeconds: 3600, rowsPerCall: rowsPerCall)
        try a.loadLibrary()
        return a
    }

    private func state(_ client: RedisClusterClient, _ log: ApplyLog) throws -> [String] {
        try (0..<log.keys).map { k in
            let s = try ApplyLog.read(client, key: "\(log.prefix)acct:\(k)")
            return "\(k):\(s.version ?? -1):\(s.value ?? "-")"
        }
    }

    func testShuffledReplaysEndLikeOneCleanPassAndReadersNeverSeeAVersionGoDown() throws {
        let clean = ApplyLog(prefix: "clean:", keys: 300, versions: 12)
        let a = try applier()
        _ = try a.apply(clean.writes)
        let cleanState = try state(a.client, clean).map { $0 }
        for k in 0..<clean.keys {
            let e = clean.expected(k)
            XCTAssertEqual(cleanState[k], "\(k):\(e.version):\(e.value ?? "-")")
        }

        let replay = ApplyLog(prefix: "replay:", keys: clean.keys, versions: clean.versions)
        let keys = (0..<replay.keys).map { "\(replay.prefix)acct:\($0)" }
        let stop = Flag()
        let violations = Violations()
        let seeds = try liveCluster().seeds
        let reader = Thread {
            guard let c = try? RedisClusterClient(topology: .cluster(seeds: seeds)) else {
                violations.add("reader could not connect")
                return
            }
            var seen = [Int](repeating: 0, count: keys.count)
            while !stop.isSet {
                for (i, key) in keys.enumerated() where i % 7 == 0 {
                    guard let v = (try? StoredVersion.read(c, key: key))?.flatMap({ Int($0) }) else {
                        continue
                    }
                    if v < seen[i] { violations.add("\(key): version \(seen[i]) then \(v)") }
                    seen[i] = max(seen[i], v)
                }
                violations.countRound()
            }
        }
        reader.start()
        var rng = SeededGenerator(seed: 42)
        var outcomes: [WriteOutcome] = []
        for _ in 0..<2 {
            var shuffled = replay.writes
            shuffled.shuffle(using: &rng)
            var i = 0
            while i < shuffled.count {
                outcomes += try a.apply(Array(shuffled[i..<min(i + 500, shuffled.count)]))
                i += 500
            }
        }
        stop.set()
        try waitUntil("the reader thread ends once stopped", timeout: 60) { reader.isFinished }
        XCTAssertEqual(violations.list, [])
        XCTAssertGreaterThan(violations.rounds, 0, "the reader must have run")
        XCTAssertEqual(try state(a.client, replay), cleanState)
        // The second pass refuses everything; the first refuses what arrived after a newer version.
        let refused = outcomes.filter { $0 == .staleRefused }.count
        XCTAssertGreaterThanOrEqual(refused, replay.writes.count)
        XCTAssertLessThan(refused, 2 * replay.writes.count)
    }
}

/// A stop flag shared with a reader thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}

/// Problems seen by a concurrent reader.
final class Violations: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    private var roundCount = 0
    func add(_ s: String) {
        lock.lock()
        items.append(s)
        lock.unlock()
    }
    func countRound() {
        lock.lock()
        roundCount += 1
        lock.unlock()
    }
    var list: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
    var rounds: Int {
        lock.lock()
        defer { lock.unlock() }
        return roundCount
    }
}
