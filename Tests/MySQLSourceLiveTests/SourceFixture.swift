import Binlog
import Foundation
import MySQLSource
import TestSupport
import Timekeeping
import XCTest

/// A MariaDB sandbox with a `shop.items (id INT PRIMARY KEY, name VARCHAR(40))` table, and
/// helpers to write numbered transactions and read them back through a `BinlogSource`.
final class SourceFixture {
    let folder: SandboxFolder
    let server: MariaDBServer
    let admin: MySQLConnection
    private var nextID = 1

    init(_ label: String, extraArguments: [String] = []) throws {
        folder = try SandboxFolder(label: label)
        server = try MariaDBServer(in: folder, ports: PortAllocator(), extraArguments: extraArguments)
        admin = try server.connect()
        try admin.execute("CREATE DATABASE shop")
        try admin.execute("CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40))")
    }

    deinit { folder.close() }

    /// Writes `count` transactions of `rows` rows each; returns the ids written, in order.
    @discardableResult
    func writeTransactions(_ count: Int, rows: Int = 1, on connection: MySQLConnection? = nil) throws -> [Int] {
        let db = connection ?? admin
        var ids: [Int] = []
        for _ in 0..<count {
            let batch = (0..<rows).map { _ -> Int in
                defer { nextID += 1 }
                return nextID
            }
            try db.execute(
                "INSERT INTO shop.items VALUES " + batch.map { "(\($0), 'item \($0)')" }.joined(separator: ","))
            ids += batch
        }
        return ids
    }

    func source(
        _ start: SourceStart, chunkRows: Int = 10_000, heartbeat: Double = 1, serverID: UInt32 = 4001,
        follow: Bool = true, clock: any ServiceClock = SystemClock()
    ) -> BinlogSource {
        BinlogSource(
            SourceConfiguration(
                endpoint: server.endpoint,
                replica: ReplicaOptions(serverID: serverID, heartbeatSeconds: heartbeat, follow: follow), start: start,
                chunkRows: chunkRows, backoff: Backoff(initial: 0.02, maximum: 0.5, jitter: 0.2)),
            clock: clock)
    }

    func masterStatus() throws -> BinlogPosition {
        let status = try admin.query("SHOW MASTER STATUS")
        return BinlogPosition(file: status.value("File") ?? "", offset: UInt64(status.value("Position") ?? "") ?? 0)
    }
}

/// Reads transactions until `enough` says so or `timeout` seconds pass.
func collect(
    _ source: BinlogSource, timeout: Double = 30, file: StaticString = #filePath, line: UInt = #line,
    until enough: ([SourceTransaction]) -> Bool
) throws -> [SourceTransaction] {
    var out: [SourceTransaction] = []
    let deadline = Date().timeIntervalSince1970 + timeout
    while !enough(out) {
        guard Date().timeIntervalSince1970 < deadline else {
            XCTFail("timed out after \(out.count) transactions", file: file, line: line)
            return out
        }
        if let transaction = try source.poll(for: min(deadline - Date().timeIntervalSince1970, 1)) {
            out.append(transaction)
        }
    }
    return out
}

/// The ids (first column of the after image, else the before image) of all row changes, in order.
func ids(_ transactions: [SourceTransaction]) -> [Int] {
    transactions.flatMap { $0.changes }.compactMap { change -> Int? in
        guard case .int(let id)? = (change.after ?? change.before)?.first else { return nil }
        return Int(id)
    }
}

/// Row ids handed out so far, counting whole transactions' chunks.
func rowCount(_ transactions: [SourceTransaction]) -> Int {
    transactions.reduce(0) { $0 + $1.changes.count }
}

/// The rows arrived exactly as written: same count, nothing missing, nothing twice, in order.
/// Reports the first difference only (the arrays can hold a million ids).
func assertSequence(_ got: [Int], _ expected: [Int], file: StaticString = #filePath, line: UInt = #line) {
    if got == expected { return }
    let index =
        zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected.count)
    let repeated = got.count - Set(got).count
    XCTFail(
        "got \(got.count) rows, expected \(expected.count); \(repeated) repeated; first difference at \(index): "
            + "got \(got.dropFirst(index).prefix(5)), expected \(expected.dropFirst(index).prefix(5))",
        file: file, line: line)
}

/// VmRSS of this process.
func residentBytes() -> UInt64 {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    let kb = line.split(separator: " ").compactMap { UInt64($0) }.first ?? 0
    return kb * 1024
}
