import BinlogCompression
import Foundation
import XCTest

/// `Zstd` (whole files: the ledger's archived journal segments): round trips, several frames,
/// files from the `zstd` command line, and every kind of bad input refused with libzstd's reason.
final class ZstdFramesTests: XCTestCase {
    private let text = Array(String(repeating: "journal record 0123456789 ", count: 400).utf8)

    func testARoundTripIsSmallerAndExact() throws {
        let packed = try Zstd.compress(text)
        XCTAssertLessThan(packed.count, text.count / 10)
        XCTAssertEqual(Array(packed.prefix(4)), [0x28, 0xB5, 0x2F, 0xFD], "a zstd frame")
        XCTAssertEqual(try Zstd.decompress(packed, limit: text.count), text)
        XCTAssertEqual(try Zstd.decompress(try Zstd.compress([]), limit: 0), [])
    }

    func testConcatenatedFramesReadAsOne() throws {
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let packed = try Zstd.compress(text) + Zstd.compress(big, level: 1)
        XCTAssertEqual(try Zstd.decompress(packed, limit: 1 << 20), text + big)
    }

    func testBadInputIsRefusedWithItsReason() throws {
        let packed = try Zstd.compress(text)
        XCTAssertThrowsError(try Zstd.decompress([], limit: 10)) {
            XCTAssertEqual(($0 as? ZstdError)?.message, "zstd: the input is empty (no frame)")
        }
        XCTAssertThrowsError(try Zstd.decompress(Array(packed.dropLast(3)), limit: 1 << 20)) {
            XCTAssertEqual(($0 as? ZstdError)?.message, "zstd: the input ends inside a frame (cut short)")
        }
        var flipped = packed
        flipped[packed.count - 1] ^= 0x01
        XCTAssertThrowsError(try Zstd.decompress(flipped, limit: 1 << 20)) {
            XCTAssertEqual(($0 as? ZstdError)?.message, "zstd: Restored data doesn't match checksum")
        }
        XCTAssertThrowsError(try Zstd.decompress(text, limit: 1 << 20)) {
            XCTAssertEqual(($0 as? ZstdError)?.message, "zstd: Unknown frame descriptor")
        }
        XCTAssertThrowsError(try Zstd.decompress(packed, limit: 100)) {
            XCTAssertEqual(($0 as? ZstdError)?.message, "zstd: the content exceeds 100 bytes")
        }
    }

    /// A file written by the `zstd` command line from a pipe (no content size in its header).
    func testAFileFromTheCommandLineReads() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zstd") else {
            throw XCTSkip("no /usr/bin/zstd")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        process.arguments = ["-q", "-c", "-"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text))
        try input.fileHandleForWriting.close()
        let packed = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try Zstd.decompress(packed, limit: 1 << 20), text)
    }
}
