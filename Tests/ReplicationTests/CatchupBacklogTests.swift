import Binlog
import SluiceLab
import XCTest

@testable import Replication

/// The catch-up backlog's rounds: whole 1,000-row transactions, every update and delete on a
/// live account at the version the model says, and the /proc status parsing of the peak RSS.
final class CatchupBacklogTests: XCTestCase {
    func testRowsRoundUpToWholeTransactions() {
        XCTAssertEqual(CatchupBacklog(rows: 1).rows, 1000)
        XCTAssertEqual(CatchupBacklog(rows: 3000).rounds, 3)
        XCTAssertEqual(CatchupBacklog(rows: 3001).rows, 4000)
        XCTAssertEqual(CatchupBacklog(rows: 1_000_000).rounds, 1000)
    }

    func testEveryChangeFollowsFromTheRowsBefore() throws {
        var live: [Int64: UInt64] = [:]
        var kinds: [RowChange.Kind: Int] = [:]
        for round in 0..<6 {
            let changes = CatchupBacklog.changes(round: round)
            XCTAssertEqual(changes.count, CatchupBacklog.rowsPerRound, "round \(round)")
            for c in changes {
                kinds[c.kind, default: 0] += 1
                guard case .int(let id)? = (c.after ?? c.before)?.first,
                    case .uint(let v)? = (c.after ?? c.before)?.last
                else { return XCTFail("round \(round): \(c)") }
                switch c.kind {
                case .insert:
                    XCTAssertNil(live[id], "account \(id) opened twice")
                    XCTAssertEqual(v, 1)
                    live[id] = 1
                case .update:
                    guard case .uint(let old)? = c.before?.last else { return XCTFail("\(c)") }
                    XCTAssertEqual(live[id], old, "account \(id) updated from a version it does not hold")
                    XCTAssertEqual(v, old + 1)
                    live[id] = v
                case .delete:
                    XCTAssertEqual(live[id], v, "account \(id) deleted at a version it does not hold")
                    live[id] = nil
                }
            }
            XCTAssertEqual(CatchupBacklog.statements(round: round).count, round == 0 ? 1 : 4)
        }
        XCTAssertEqual(kinds[.insert], 1000 + 5 * 500)
        XCTAssertEqual(kinds[.update], 5 * 300)
        XCTAssertEqual(kinds[.delete], 5 * 200)
        // Round 0's first 500 accounts are never touched; every later block keeps its 300 transferred ones.
        XCTAssertEqual(live.count, 1000 + 5 * 500 - 5 * 200)
    }

    func testPeakRSSIsReadFromTheStatusLine() {
        let status = "Name:\tsluice\nVmPeak:\t  900000 kB\nVmHWM:\t   52224 kB\nVmRSS:\t   40000 kB\n"
        XCTAssertEqual(ProcessMemory.kilobytes(field: "VmHWM", in: status), 52224)
        XCTAssertNil(ProcessMemory.kilobytes(field: "VmSwap", in: status))
        XCTAssertEqual(ProcessMemory.peakMegabytes(pid: getpid()).map { $0 > 1 }, true)
    }

    func testCPUTimeIsReadFromTheStatLineWhateverTheCommandName() {
        let stat = "1234 (sluice run) x) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 8 0 12345 0 0\n"
        XCTAssertEqual(ProcessMemory.cpuSeconds(stat: stat, ticksPerSecond: 100), 3.0)
        XCTAssertNil(ProcessMemory.cpuSeconds(stat: "1234 (sluice) S 1 2", ticksPerSecond: 100))
        XCTAssertEqual(ProcessMemory.cpuSeconds(pid: getpid()).map { $0 > 0 }, true)
    }
}
