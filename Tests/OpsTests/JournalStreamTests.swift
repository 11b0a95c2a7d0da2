import Foundation
import TestHelpers
import Timekeeping
import XCTest

@testable import Ops

/// Under systemd, standard error is the journal (JOURNAL_STREAM names it) and each line carries
/// its sd-daemon priority, so `journalctl -p warning` shows warnings and errors only.
final class JournalStreamTests: XCTestCase {
    private func deviceAndInode(_ descriptor: Int32) -> String {
        var info = stat()
        XCTAssertEqual(fstat(descriptor, &info), 0)
        return "\(info.st_dev):\(info.st_ino)"
    }

    func testJournalStreamMustNameTheDescriptor() throws {
        let pipe = Pipe()
        let other = Pipe()
        let fd = pipe.fileHandleForWriting.fileDescriptor
        XCTAssertTrue(JournalStream.isConnected(environment: ["JOURNAL_STREAM": deviceAndInode(fd)], descriptor: fd))
        // Inherited from a parent whose standard error was the journal, but ours is elsewhere.
        let elsewhere = deviceAndInode(other.fileHandleForWriting.fileDescriptor)
        XCTAssertFalse(JournalStream.isConnected(environment: ["JOURNAL_STREAM": elsewhere], descriptor: fd))
        XCTAssertFalse(JournalStream.isConnected(environment: [:], descriptor: fd))
        XCTAssertFalse(JournalStream.isConnected(environment: ["JOURNAL_STREAM": "junk"], descriptor: fd))
    }

    func testEachLineCarriesItsPriority() {
        let clock = ManualClock(wall: Date(timeIntervalSince1970: 0))
        let text = ConsoleCapture()
        let logger = Logger(
            level: .debug, format: .text, journalPriorities: true, clock: clock, sink: text.console.writeErr)
        logger.with(["sink": "kafka"]).debug("d")
        logger.info("i")
        logger.notice("n")
        logger.warning("w")
        logger.error("e")
        XCTAssertEqual(
            text.err,
            """
            <7>1970-01-01T00:00:00.000Z debug d sink=kafka
            <6>1970-01-01T00:00:00.000Z info i
            <5>1970-01-01T00:00:00.000Z notice n
            <4>1970-01-01T00:00:00.000Z warning w
            <3>1970-01-01T00:00:00.000Z error e

            """)
        let json = ConsoleCapture()
        Logger(level: .info, format: .json, journalPriorities: true, clock: clock, sink: json.console.writeErr).warning(
            "w")
        XCTAssertEqual(json.err, "<4>{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"warning\",\"message\":\"w\"}\n")
        let plain = ConsoleCapture()
        Logger(level: .info, format: .text, clock: clock, sink: plain.console.writeErr).warning("w")
        XCTAssertEqual(plain.err, "1970-01-01T00:00:00.000Z warning w\n")
    }

    /// A command's error text (usage included) is all marked as errors.
    func testConsoleErrorsAreErrors() {
        XCTAssertEqual(Console.errorLines("sluice: error: x\nUsage: y\n"), "<3>sluice: error: x\n<3>Usage: y\n")
        XCTAssertEqual(Console.errorLines("one\n\ntwo"), "<3>one\n\n<3>two")
    }

    /// The built binary, its standard error a file that JOURNAL_STREAM names: the refusal of a
    /// bad config arrives as priority 3.
    func testBinaryPrefixesErrorsForTheJournal() throws {
        let binary = try BuiltBinary.path()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let errPath = folder.appendingPathComponent("stderr").path
        XCTAssertTrue(FileManager.default.createFile(atPath: errPath, contents: nil))
        let errFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", folder.appendingPathComponent("missing.toml").path]
        var environment = ProcessInfo.processInfo.environment
        environment["JOURNAL_STREAM"] = deviceAndInode(errFile.fileDescriptor)
        process.environment = environment
        process.standardError = errFile
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try errFile.close()
        let text = try String(contentsOfFile: errPath, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 2, text)
        XCTAssertFalse(text.isEmpty)
        for line in text.split(separator: "\n") { XCTAssertTrue(line.hasPrefix("<3>"), text) }
    }
}
