import Foundation
import Kafka
import MySQLSource
import RedisCluster
import SluiceLab
import XCTest

@testable import Replication

/// The payments workload of the fault tests, on one connection and thread: transfers (two
/// accounts and a transfers row in one transaction, `version = version + 1`), new accounts,
/// deleted accounts, multi-row transactions mixing the three, and bulk updates of 50 accounts. It records what it committed
/// that the database no longer shows: the version each deleted account had.
final class MixedPaymentsWorkload: @unchecked Sendable {
    let payments: PaymentsWorkload
    private let lock = NSLock()
    private var stopRequested = false
    private var nextID: Int
    private var live: [Int]
    private var deletedVersions: [Int: UInt64] = [:]
    private var counts: [String: Int] = [:]
    private var failure: Error?

    /// Works on the accounts `payments` created (ids 1 ... `payments.accounts`).
    init(payments: PaymentsWorkload) {
        self.payments = payments
        nextID = payments.accounts + 1
        live = Array(1...payments.accounts)
    }

    private let ended = DispatchSemaphore(value: 0)

    /// Runs the workload on a thread of its own over `db` until `finish()` (again after a
    /// `finish()`, e.g. on a promoted replica).
    func start(on db: MySQLConnection, pause: Double) {
        locked { stopRequested = false }
        let connection = SendableBox(db)
        Thread { [self] in
            run(on: connection.value, pause: pause)
            ended.signal()
        }.start()
    }

    /// Stops the thread `start` began and waits for its last transaction.
    func finish() {
        stop()
        ended.wait()
    }

    /// Runs until `stop()`, pausing `pause` s between transactions; a database error ends it.
    func run(on db: MySQLConnection, pause: Double) {
        while !isStopped {
            do {
                switch Int.random(in: 0..<100) {
                case 0..<70: try transfer(db)
                case 70..<82: try insert(db, count: 1)
                case 82..<90: try delete(db)
                case 90..<97: try mixed(db)
                default: try bulk(db)
                }
            } catch {
                _ = try? db.execute("ROLLBACK")
                return fail(error)
            }
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
    }

    private func fail(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
        stopRequested = true
    }

    func stop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    var error: Error? { locked { failure } }
    /// Committed transactions by kind (transfer, insert, delete, mixed).
    var committed: [String: Int] { locked { counts } }
    /// Deleted account ids and the version each had when deleted.
    var deleted: [Int: UInt64] { locked { deletedVersions } }
    /// The highest account id used so far.
    var highestID: Int { locked { nextID - 1 } }

    private var isStopped: Bool { locked { stopRequested } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// `n` distinct live ids at random (without shuffling all of them: tables of 200,000 rows).
    private func pick(_ n: Int) -> [Int] {
        locked {
            var chosen: [Int] = []
            while chosen.count < min(n, live.count), let id = live.randomElement() {
                if !chosen.contains(id) { chosen.append(id) }
            }
            return chosen
        }
    }

    private func count(_ kind: String) {
        lock.lock()
        counts[kind, default: 0] += 1
        lock.unlock()
    }

    private func transfer(_ db: MySQLConnection) throws {
        let ids = pick(2)
        guard ids.count == 2 else { return }
        if try payments.transfer(on: db, from: ids[0], to: ids[1], cents: Int.random(in: 1...5000)) {
            count("transfer")
        }
    }

    private func insert(_ db: MySQLConnection, count n: Int) throws {
        _ = try db.execute("BEGIN")
        let ids = try insertRows(db, n)
        _ = try db.execute("COMMIT")
        add(ids)
        count("insert")
    }

    private func delete(_ db: MySQLConnection) throws {
        guard let id = pick(1).first else { return }
        _ = try db.execute("BEGIN")
        let version = try deleteRow(db, id)
        _ = try db.execute("COMMIT")
        remove(id, version: version)
        count("delete")
    }

    /// One transaction: five accounts updated, two inserted, one deleted.
    private func mixed(_ db: MySQLConnection) throws {
        let ids = pick(6)
        guard ids.count == 6 else { return }
        _ = try db.execute("BEGIN")
        let updated = ids.prefix(5).sorted().map(String.init).joined(separator: ",")
        _ = try db.execute(
            "UPDATE payments.accounts SET balance = balance + 0.01, version = version + 1 WHERE id IN (\(updated))")
        let added = try insertRows(db, 2)
        let version = try deleteRow(db, ids[5])
        _ = try db.execute("COMMIT")
        add(added)
        remove(ids[5], version: version)
        count("mixed")
    }

    /// One transaction updating 50 accounts.
    private func bulk(_ db: MySQLConnection) throws {
        let ids = pick(50).sorted().map(String.init).joined(separator: ",")
        guard !ids.isEmpty else { return }
        _ = try db.execute(
            "UPDATE payments.accounts SET balance = balance + 0.01, version = version + 1 WHERE id IN (\(ids))")
        count("bulk")
    }

    private func insertRows(_ db: MySQLConnection, _ n: Int) throws -> [Int] {
        let ids: [Int] = locked {
            let first = nextID
            nextID += n
            return Array(first..<(first + n))
        }
        let values = ids.map { "(\($0), 'owner-\($0)', 10.00, 1)" }.joined(separator: ",")
        _ = try db.execute("INSERT INTO payments.accounts (id, owner, balance, version) VALUES \(values)")
        return ids
    }

    /// Deletes a row in the open transaction; its version at that moment.
    private func deleteRow(_ db: MySQLConnection, _ id: Int) throws -> UInt64 {
        let row = try db.query("SELECT version FROM payments.accounts WHERE id = \(id) FOR UPDATE")
        guard let version = row.value("version").flatMap({ UInt64($0) }) else {
            throw DaemonError("account \(id) to delete is not there")
        }
        _ = try db.execute("DELETE FROM payments.accounts WHERE id = \(id)")
        return version
    }

    private func add(_ ids: [Int]) {
        lock.lock()
        live += ids
        lock.unlock()
    }

    private func remove(_ id: Int, version: UInt64) {
        lock.lock()
        live.removeAll { $0 == id }
        deletedVersions[id] = version
        lock.unlock()
    }
}

/// A thread reading the version of every account key from the primary cluster over and over
/// (through `ConsistencyCheck.storedVersion`), recording any key whose version went down or
/// vanished after it was seen. A failed read is a finding too, unless `readErrorsExpected` (a
/// Redis master killed on purpose): then it is only counted, and the key read again next sweep.
final class VersionWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false
    private var seen: [Int: UInt64] = [:]
    private var regressions: [String] = []
    private var sweepCount = 0
    private var reads = 0
    private var readErrors = 0
    private let readErrorsExpected: Bool
    private let finished = DispatchSemaphore(value: 0)

    /// Starts reading keys `account:1` ... `account:<highestID()>` with `redis` on a thread of its own.
    init(redis: RedisClusterClient, highestID: @escaping @Sendable () -> Int, readErrorsExpected: Bool = false) {
        self.readErrorsExpected = readErrorsExpected
        let client = SendableBox(redis)
        Thread { [self] in
            while !isStopped {
                sweep(client.value, upTo: highestID())
                Thread.sleep(forTimeInterval: 0.01)
            }
            finished.signal()
        }.start()
    }

    /// Reads that failed (counted only with `readErrorsExpected`).
    var failedReads: Int {
        lock.lock()
        defer { lock.unlock() }
        return readErrors
    }

    /// Stops the thread; what it found.
    func stop() -> (sweeps: Int, reads: Int, keys: Int, regressions: [String]) {
        lock.lock()
        stopRequested = true
        lock.unlock()
        finished.wait()
        lock.lock()
        defer { lock.unlock() }
        return (sweepCount, reads, seen.count, regressions)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func sweep(_ redis: RedisClusterClient, upTo highest: Int) {
        guard highest > 0 else { return }
        for id in 1...highest {
            let text: String?
            do {
                text = try ConsistencyCheck.storedVersion(of: "account:\(id)", in: redis)
            } catch {
                if readErrorsExpected {
                    lock.lock()
                    readErrors += 1
                    lock.unlock()
                    Thread.sleep(forTimeInterval: 0.02)
                } else {
                    note("account:\(id): reading its version failed: \(error)")
                }
                continue
            }
            let version = text.flatMap { UInt64($0) }
            lock.lock()
            reads += 1
            if let before = seen[id] {
                if let version, version >= before {
                    seen[id] = version
                } else {
                    regressions.append("account:\(id): version \(before) then \(text ?? "none")")
                }
            } else if let version {
                seen[id] = version
            } else if text != nil {
                regressions.append("account:\(id): version \(text ?? "") is not a number")
            }
            lock.unlock()
        }
        lock.lock()
        sweepCount += 1
        lock.unlock()
    }

    private func note(_ text: String) {
        lock.lock()
        regressions.append(text)
        lock.unlock()
    }
}

/// A value handed to the one thread that uses it from then on.
struct SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Whether a topic holds every committed change of `payments.accounts` and `payments.transfers`
/// at least once and in commit order per key. Per account key, the messages' versions (a delete
/// written `d<version>`) with repeats removed - replays after a restart repeat a stretch - must
/// be exactly 1, 2, ..., its last version, then `d<last version + 1>` when the account was deleted
/// (a delete carries the before image's version plus one, RowVersion). Every
/// transfers row must have its insert.
struct KafkaCompleteness {
    var messages = 0
    var keys = 0
    var duplicates = 0
    var problems: [String] = []
    /// Per partition: offsets read (rows and DR watermark markers) and the offsets missing
    /// between 0 and the highest read, which a reader from offset 0 must have had.
    var partitions: [Int32: (read: Int, highest: Int64, missing: [Int64])] = [:]
    /// Per key in a problem: the partitions its messages were read from.
    private var keyPartitions: [String: Set<Int32>] = [:]
    /// Per key and version token: where it was first read (partition, offset, producer time).
    private var placed: [String: [String: (partition: Int32, offset: Int64, ms: Int64?)]] = [:]

    var complete: Bool { problems.isEmpty }

    /// `live`: account id -> version in MySQL now; `deleted`: account id -> version when deleted;
    /// `transfers`: ids of the transfers rows in MySQL. DR watermark markers and statement events
    /// (header `sluice.ddl`) count only for the offsets.
    init(_ topic: [KafkaMessage], live: [Int: UInt64], deleted: [Int: UInt64], transfers: [Int]) {
        var history: [String: [String]] = [:]
        var seen: [String: Set<String>] = [:]
        var offsets: [Int32: Set<Int64>] = [:]
        for m in topic {
            offsets[m.partition, default: []].insert(m.offset)
            if m.isWatermarkMarker || m.headers.contains(where: { $0.name == "sluice.ddl" }) { continue }
            messages += 1
            let key = String(decoding: m.key ?? [], as: UTF8.self)
            keyPartitions[key, default: []].insert(m.partition)
            let decoded: DRChange
            do {
                decoded = try DRChange(
                    topic: m.topic, partition: m.partition, offset: m.offset, value: m.value,
                    headers: m.headers.map { ($0.name, $0.value) })
            } catch {
                problems.append("\(key): \(error)")
                continue
            }
            let token = (decoded.change.kind == .delete ? "d" : "") + (decoded.version ?? "?")
            if seen[key, default: []].insert(token).inserted {
                history[key, default: []].append(token)
                placed[key, default: [:]][token] = (m.partition, m.offset, m.timestampMilliseconds)
            } else {
                duplicates += 1
            }
        }
        for (partition, read) in offsets {
            let highest = read.max() ?? -1
            partitions[partition] = (read.count, highest, (0..<max(highest, 0)).filter { !read.contains($0) })
        }
        keys = history.count
        for (id, version) in live {
            expect("payments.accounts[\(id)]", history, (1...max(version, 1)).map { "\($0)" }, "account \(id)")
        }
        for (id, version) in deleted {
            expect(
                "payments.accounts[\(id)]", history, (1...max(version, 1)).map { "\($0)" } + ["d\(version + 1)"],
                "deleted account \(id)")
        }
        for id in transfers where history["payments.transfers[\(id)]"] == nil {
            problems.append("transfer \(id): no message")
        }
        let known = Set(live.keys).union(deleted.keys)
        for key in history.keys where key.hasPrefix("payments.accounts[") {
            let id = Int(key.dropFirst("payments.accounts[".count).dropLast()) ?? -1
            if !known.contains(id) { problems.append("\(key): in Kafka, never committed") }
        }
    }

    private mutating func expect(_ key: String, _ history: [String: [String]], _ expected: [String], _ what: String) {
        guard let got = history[key] else { return problems.append("\(what): no message") }
        guard got != expected else { return }
        // Where the first gap is: the versions read on either side of it.
        let present = Set(got)
        let firstMissing = expected.firstIndex { !present.contains($0) }
        var gap = ""
        if let firstMissing {
            let before = expected[..<firstMissing].last.flatMap { placed[key]?[$0] }
            let after = expected[firstMissing...].first { present.contains($0) }.flatMap { placed[key]?[$0] }
            gap = "; first missing \(expected[firstMissing]), between \(Self.place(before)) and \(Self.place(after))"
        }
        problems.append(
            "\(what): versions \(got.suffix(8)) (\(got.count)), committed \(expected.suffix(8)) (\(expected.count))"
                + gap)
    }

    private static func place(_ p: (partition: Int32, offset: Int64, ms: Int64?)?) -> String {
        guard let p else { return "none" }
        let time = p.ms.map { ms in
            let f = DateFormatter()
            f.dateFormat = "HH:mm:ss.SSS"
            f.timeZone = TimeZone(identifier: "UTC")
            return " at " + f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
        }
        return "\(p.partition)@\(p.offset)\(time ?? "")"
    }

    var summary: String {
        guard !complete else { return "\(messages) message(s), \(keys) key(s), \(duplicates) repeat(s), complete" }
        let layout = partitions.keys.sorted().map { p in
            let (read, highest, missing) = partitions[p]!
            return "partition \(p): \(read) offset(s) read up to \(highest), \(missing.count) missing"
                + (missing.isEmpty ? "" : " (first \(missing.prefix(5)))")
        }
        let spread = keyPartitions.filter { $0.value.count > 1 }.count
        return "\(messages) message(s), \(keys) key(s), \(duplicates) repeat(s); \(layout.joined(separator: "; "))"
            + "; \(spread) key(s) in more than one partition: \(problems.count) problem(s):\n  "
            + problems.prefix(40).joined(separator: "\n  ")
    }
}

extension KafkaMessage {
    /// A DR watermark marker (header `sluice.watermark`), not a row change.
    var isWatermarkMarker: Bool { headers.contains { $0.name == WatermarkMarker.header } }
}

/// What MySQL holds now: each account's version and the ids of the transfers rows.
struct CommittedRows {
    var accounts: [Int: UInt64] = [:]
    var transfers: [Int] = []

    init(_ db: MySQLConnection) throws {
        let rows = try db.query("SELECT id, version FROM payments.accounts")
        for r in rows.rows.indices {
            if let id = rows.value("id", row: r).flatMap({ Int($0) }),
                let version = rows.value("version", row: r).flatMap({ UInt64($0) })
            {
                accounts[id] = version
            }
        }
        let ids = try db.query("SELECT id FROM payments.transfers")
        transfers = ids.rows.indices.compactMap { ids.value("id", row: $0).flatMap { Int($0) } }
    }
}
