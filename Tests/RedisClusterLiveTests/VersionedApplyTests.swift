import TestSupport
import XCTest

@testable import RedisCluster

final class VersionedApplyTests: LiveClusterTestCase {
    private func applier(tombstoneSeconds: Int64 = 3600) throws -> VersionedApplier {
        let a = VersionedApplier(client: try client(), tombstoneTTLSeconds: tombstoneSeconds, rowsPerCall: 50)
        try a.loadLibrary()
        return a
    }

    private func hash(_ a: VersionedApplier, _ key: String) throws -> [String: String] {
        let r = try a.client.send(RedisCommand("HGETALL", key), key: key)
        let items = (r.elements ?? []).compactMap(\.text)
        var out: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            out[items[i]] = items[i + 1]
            i += 2
        }
        return out
    }

    private func get(_ a: VersionedApplier, _ key: String) throws -> String? {
        try a.client.send(RedisCommand("GET", key), key: key).text
    }

    func testEachShapeAppliesAndReadsBack() throws {
        let a = try applier()
        let writes = [
            VersionedWrite(
                key: "account:1", version: "5", value: .hash([.init("id", "1"), .init("balance", "10.50")])),
            VersionedWrite(key: "json:1", version: "5", value: .string(Array(#"{"id":1}"#.utf8))),
            VersionedWrite(
                key: "balance:{1}", version: "5", value: .string(Array("10.50".utf8)), ttlMilliseconds: 60_000),
        ]
        XCTAssertEqual(try a.apply(writes), [.applied, .applied, .applied])
        // A hash keeps its version in its own field, with no version key beside it.
        XCTAssertEqual(try hash(a, "account:1"), ["id": "1", "balance": "10.50", "sluice:v": "5"])
        XCTAssertEqual(try get(a, "json:1"), #"{"id":1}"#)
        XCTAssertEqual(try get(a, "balance:{1}"), "10.50")
        let ttl = try a.client.send(RedisCommand("PTTL", "balance:{1}"), key: "balance:{1}").int ?? -1
        XCTAssertGreaterThan(ttl, 50_000)
        XCTAssertNil(try get(a, "sluice:v:{account:1}"))
        XCTAssertEqual(try StoredVersion.read(a.client, key: "account:1"), "5")
        XCTAssertEqual(try get(a, "sluice:v:{json:1}"), "5")
        XCTAssertEqual(try get(a, "sluice:v:balance:{1}"), "5")
        // A column gone NULL loses its field.
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(
                    key: "account:1", version: "6", value: .hash([.init("id", "1")], removing: [Array("balance".utf8)]))
            ]), [.applied])
        XCTAssertEqual(try hash(a, "account:1"), ["id": "1", "sluice:v": "6"])
        // All mapped columns NULL: no key, version advanced.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: "account:1", version: "7", value: .hash([], removing: [Array("id".utf8)]))]
            ), [.applied])
        XCTAssertEqual(try hash(a, "account:1"), [:])
        XCTAssertEqual(try get(a, "sluice:v:{account:1}"), "7")
        XCTAssertEqual(try StoredVersion.read(a.client, key: "account:1"), "7")
        // ... and a replay of version 6 stays refused although the hash (and its field) is gone.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: "account:1", version: "6", value: .hash([.init("id", "1")]))]),
            [.staleRefused])
        XCTAssertEqual(try hash(a, "account:1"), [:])
        // A key of another type (the mapping's shape changed) is replaced.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: "json:1", version: "6", value: .hash([.init("id", "1")]))]), [.applied])
        XCTAssertEqual(try hash(a, "json:1"), ["id": "1", "sluice:v": "6"])
        // And back to a string: the hash's field counts, so an older string is refused.
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(key: "{k}h", version: "3", value: .hash([.init("id", "1")])),
                VersionedWrite(key: "{k}h", version: "2", value: .string(Array("old".utf8))),
                VersionedWrite(key: "{k}h", version: "4", value: .string(Array("new".utf8))),
            ]), [.applied, .staleRefused, .applied])
        XCTAssertEqual(try get(a, "{k}h"), "new")
        XCTAssertEqual(try StoredVersion.read(a.client, key: "{k}h"), "4")
    }

    func testHashWithTTLKeepsItsVersionBeyondTheKey() throws {
        let a = try applier(tombstoneSeconds: 120)
        let key = "acct:ttl"
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "8", value: .hash([.init("a", "1")]), ttlMilliseconds: 300)]),
            [.applied])
        XCTAssertEqual(try hash(a, key), ["a": "1", "sluice:v": "8"])
        let vkey = String(decoding: VersionKey.of(Array(key.utf8)), as: UTF8.self)
        XCTAssertEqual(try get(a, vkey), "8")
        let ttl = try a.client.send(RedisCommand("PTTL", vkey), key: vkey).int ?? -1
        XCTAssertGreaterThan(ttl, 100_000)
        // The key's own 300 ms TTL passes.
        try waitUntil("\(key) expired", timeout: 10) {
            try a.client.send(RedisCommand("EXISTS", key), key: key).int == 0
        }
        // The key expired; a late replay of an older change is still refused.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "7", value: .hash([.init("a", "0")]))]), [.staleRefused])
        XCTAssertEqual(try a.client.send(RedisCommand("EXISTS", key), key: key).int, 0)
    }

    func testHashWrittenBeforeTheVersionFieldKeepsItsVersionKey() throws {
        // Data of an earlier sluice: the hash without the field, the version in the version key.
        let a = try applier()
        let key = "acct:legacy"
        let vkey = String(decoding: VersionKey.of(Array(key.utf8)), as: UTF8.self)
        _ = try a.client.send(RedisCommand("HSET", key, "a", "old"), key: key)
        _ = try a.client.send(RedisCommand("SET", vkey, "50"), key: vkey)
        XCTAssertEqual(try StoredVersion.read(a.client, key: key), "50")
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(key: key, version: "49", value: .hash([.init("a", "stale")])),
                VersionedWrite(key: key, version: "51", value: .hash([.init("a", "new")])),
                VersionedWrite(key: key, version: "50", value: .hash([.init("a", "stale")])),
            ]), [.staleRefused, .applied, .staleRefused])
        XCTAssertEqual(try hash(a, key), ["a": "new", "sluice:v": "51"])
        XCTAssertEqual(try StoredVersion.read(a.client, key: key), "51")
    }

    func testOlderAndEqualVersionsAreRefused() throws {
        let a = try applier()
        let key = "acct:refuse"
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "100", value: .string(Array("new".utf8)))]), [.applied])
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(key: key, version: "99", value: .string(Array("old".utf8))),
                VersionedWrite(key: key, version: "100", value: .string(Array("same".utf8))),
                // Numeric, not lexical: "1000" > "999" although "9" > "1".
                VersionedWrite(key: key, version: "1000", value: .string(Array("newer".utf8))),
                VersionedWrite(key: key, version: "999", value: .string(Array("older".utf8))),
            ]), [.staleRefused, .staleRefused, .applied, .staleRefused])
        XCTAssertEqual(try get(a, key), "newer")
        // Versions beyond 2^64 compare exactly (composite binlog versions).
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(key: key, version: "184467440737095516160000000001", value: .string(Array("big".utf8)))
            ]), [.applied])
        XCTAssertEqual(
            try a.apply([
                VersionedWrite(key: key, version: "184467440737095516160000000000", value: .string(Array("less".utf8)))
            ]), [.staleRefused])
        XCTAssertEqual(try get(a, key), "big")
    }

    func testDeleteThenReplayedOldInsertStaysDeleted() throws {
        let a = try applier(tombstoneSeconds: 120)
        let key = "acct:deleted"
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "1", value: .hash([.init("a", "1")]))]), [.applied])
        XCTAssertEqual(try a.apply([VersionedWrite(key: key, version: "2", value: .delete)]), [.applied])
        XCTAssertNil(try get(a, key).flatMap { $0.isEmpty ? nil : $0 })
        XCTAssertEqual(try a.client.send(RedisCommand("EXISTS", key), key: key).int, 0)
        // Replay of the original insert: refused by the tombstone.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "1", value: .hash([.init("a", "1")]))]), [.staleRefused])
        XCTAssertEqual(try a.client.send(RedisCommand("EXISTS", key), key: key).int, 0)
        let vkey = String(decoding: VersionKey.of(Array(key.utf8)), as: UTF8.self)
        XCTAssertEqual(try get(a, vkey), "2")
        let ttl = try a.client.send(RedisCommand("PTTL", vkey), key: vkey).int ?? -1
        XCTAssertGreaterThan(ttl, 100_000)
        XCTAssertLessThanOrEqual(ttl, 120_000)
        // A newer insert (the row re-created) brings it back with its version in the hash; the
        // tombstone is left to expire.
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "3", value: .hash([.init("a", "3")]))]), [.applied])
        XCTAssertEqual(try hash(a, key), ["a": "3", "sluice:v": "3"])
        XCTAssertEqual(try StoredVersion.read(a.client, key: key), "3")
        XCTAssertEqual(
            try a.apply([VersionedWrite(key: key, version: "2", value: .hash([.init("a", "2")]))]), [.staleRefused])
        // Deleted again: the tombstone moves up.
        XCTAssertEqual(try a.apply([VersionedWrite(key: key, version: "4", value: .delete)]), [.applied])
        XCTAssertEqual(try get(a, vkey), "4")
        XCTAssertEqual(try a.client.send(RedisCommand("EXISTS", key), key: key).int, 0)
    }

    func testMissingLibraryIsLoadedOnDemand() throws {
        let a = try applier()
        for m in a.client.masters { _ = try a.client.connection(to: m).command(RedisCommand("FUNCTION", "FLUSH")) }
        let loadsBefore = a.stats.libraryLoads
        let writes = (0..<300).map {
            VersionedWrite(key: "reload:\($0)", version: "1", value: .string(Array("x".utf8)))
        }
        XCTAssertEqual(try a.apply(writes), Array(repeating: .applied, count: 300))
        XCTAssertEqual(a.stats.libraryLoads - loadsBefore, 3)
    }

    func testVersionKeySharesTheSlot() {
        for key in ["account:1", "user:{42}:x", "{}", "a}b", "{}x}", "x{", "{a}", "weird}{key", "", "}"] {
            let k = Array(key.utf8)
            XCTAssertEqual(HashSlot.slot(of: VersionKey.of(k)), HashSlot.slot(of: k), key)
        }
        for slot in stride(from: 0, to: HashSlot.count, by: 1021) {
            XCTAssertEqual(HashSlot.slot(of: VersionKey.tag(forSlot: slot)), slot)
        }
    }
}
